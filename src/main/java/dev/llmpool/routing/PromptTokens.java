package dev.llmpool.routing;

import java.util.List;
import java.util.Optional;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;

import dev.llmpool.api.ChatMessage;

/**
 * How many tokens a request takes of a model's context window: its prompt (or conversation) counted with a real
 * tokenizer, plus the answer it may generate ({@code max_tokens}).
 *
 * <p>OpenAI's model names get their model's own encoding (jtokkit), so the count is exact but for the few tokens the
 * chat format adds per message (counted as {@link #TOKENS_PER_MESSAGE}). Every other model (Llama, Qwen, Mistral,
 * Phi, ...) has a tokenizer of its own that jtokkit does not carry; its prompt is counted with {@code cl100k_base}
 * and raised by {@link #ESTIMATE_MARGIN}, because those tokenizers, with smaller vocabularies, tend to cut the same text
 * into somewhat more tokens. An estimate that is a little high only sends a borderline prompt to a larger model.
 */
public final class PromptTokens {

    /** What the chat format adds per message (role and separators), and for priming the answer, as OpenAI counts it. */
    static final int TOKENS_PER_MESSAGE = 4;
    static final int TOKENS_FOR_REPLY = 3;
    /** The safety margin on an estimate for a model whose own tokenizer is unknown here. */
    static final double ESTIMATE_MARGIN = 0.10;

    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

    private PromptTokens() {
    }

    /** The tokens a request takes of {@code model}'s window: prompt (or messages), format overhead, and max_tokens. */
    public static int needed(String model, String prompt, List<ChatMessage> messages, int maxTokens) {
        return promptTokens(model, prompt, messages) + Math.max(0, maxTokens);
    }

    /** The prompt's tokens for {@code model}: exact for OpenAI's models, an estimate with a margin for the others. */
    public static int promptTokens(String model, String prompt, List<ChatMessage> messages) {
        Optional<Encoding> exact = openAiEncoding(model);
        Encoding encoding = exact.orElseGet(() -> REGISTRY.getEncoding(EncodingType.CL100K_BASE));
        int tokens = TOKENS_FOR_REPLY;
        if (messages == null) {
            tokens += TOKENS_PER_MESSAGE + encoding.countTokensOrdinary(prompt == null ? "" : prompt);
        } else {
            for (ChatMessage m : messages) {
                tokens += TOKENS_PER_MESSAGE + encoding.countTokensOrdinary(m.role() == null ? "" : m.role())
                        + encoding.countTokensOrdinary(m.content() == null ? "" : m.content());
            }
        }
        return exact.isPresent() ? tokens : (int) Math.ceil(tokens * (1 + ESTIMATE_MARGIN));
    }

    /** The encoding of an OpenAI model name ({@code gpt-4o}, {@code gpt-3.5-turbo-0125}, ...), if it is one. */
    static Optional<Encoding> openAiEncoding(String model) {
        return model == null ? Optional.empty() : REGISTRY.getEncodingForModel(model.trim());
    }
}
