package dev.llmpool.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.llmpool.api.ChatMessage;

/** Counting a request's tokens: exact for OpenAI's models, cl100k_base plus a margin for the others, plus max_tokens. */
class PromptTokensTest {

    private static final int OVERHEAD = PromptTokens.TOKENS_PER_MESSAGE + PromptTokens.TOKENS_FOR_REPLY;

    @Test
    void openAiModelsAreCountedWithTheirOwnEncoding() {
        // "hello world" is two tokens in both cl100k_base (gpt-4) and o200k_base (gpt-4o)
        assertEquals(2 + OVERHEAD, PromptTokens.promptTokens("gpt-4", "hello world", null));
        assertEquals(2 + OVERHEAD, PromptTokens.promptTokens("gpt-4o", "hello world", null));
        assertTrue(PromptTokens.openAiEncoding("gpt-4o").isPresent());
        assertTrue(PromptTokens.openAiEncoding("llama3.1:8b").isEmpty());
    }

    @Test
    void otherModelsAreEstimatedWithAMargin() {
        String text = "word ".repeat(1000).strip(); // a thousand tokens in cl100k_base
        int exact = PromptTokens.promptTokens("gpt-4", text, null);
        assertEquals(1000 + OVERHEAD, exact);
        int estimate = PromptTokens.promptTokens("llama3.1:8b", text, null);
        assertEquals((int) Math.ceil(exact * (1 + PromptTokens.ESTIMATE_MARGIN)), estimate);
        assertTrue(estimate > exact, "the estimate errs high");
    }

    @Test
    void everyMessageOfAConversationCounts() {
        List<ChatMessage> one = List.of(new ChatMessage("user", "hello world"));
        List<ChatMessage> three = List.of(new ChatMessage("system", "be brief"), new ChatMessage("user", "hello world"),
                new ChatMessage("assistant", "hi"));
        int single = PromptTokens.promptTokens("gpt-4", null, one);
        int conversation = PromptTokens.promptTokens("gpt-4", null, three);
        // each message adds its role, its content and the format's per-message tokens
        assertEquals(1 + 2 + OVERHEAD, single);
        assertEquals(single + 2 * PromptTokens.TOKENS_PER_MESSAGE + 1 + 2 + 1 + 1, conversation);
    }

    @Test
    void maxTokensIsAddedToThePrompt() {
        assertEquals(PromptTokens.promptTokens("gpt-4", "hello world", null) + 256,
                PromptTokens.needed("gpt-4", "hello world", null, 256));
    }

    @Test
    void specialTokenTextIsCountedAsText() {
        // a caller writing the end-of-text marker must not make the count fail
        assertTrue(PromptTokens.promptTokens("gpt-4", "<|endoftext|>", null) > OVERHEAD);
    }
}
