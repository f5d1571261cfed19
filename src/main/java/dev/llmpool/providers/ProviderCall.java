package dev.llmpool.providers;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.llmpool.api.ChatMessage;
import dev.llmpool.api.Sampling;

import dev.llmpool.config.ProviderConfig;

/**
 * One call to one backend, as the ensemble hands it to a provider route (exchange property
 * {@link CallProperties#CALL}); {@code messages} null means the prompt alone.
 */
public record ProviderCall(
        String requestId,
        ProviderConfig provider,
        String prompt,
        int maxTokens,
        Double temperature,
        JsonNode format,
        long deadlineNanos,
        List<ChatMessage> messages,
        Sampling sampling) {


    /** A call with a single prompt (the task API, the judge). */
    public ProviderCall(String requestId, ProviderConfig provider, String prompt, int maxTokens, Double temperature,
                        JsonNode format, long deadlineNanos) {
        this(requestId, provider, prompt, maxTokens, temperature, format, deadlineNanos, null, Sampling.NONE);
    }

    /** What the backend is sent: the conversation, or the prompt as the one user message. */
    public List<ChatMessage> conversation() {
        return messages != null ? messages : List.of(new ChatMessage("user", prompt));
    }

    /**
     * What is left of the budget, rounded up: a timeout derived from it never fires before the deadline, so a call
     * that runs out of it ends the request with the deadline's 504, not with a 503 "timed out" a hair early.
     */
    public long remainingMillis() {
        long nanos = deadlineNanos - System.nanoTime();
        return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
    }
}
