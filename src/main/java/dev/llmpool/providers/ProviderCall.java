package dev.llmpool.providers;

import com.fasterxml.jackson.databind.JsonNode;

import dev.llmpool.config.ProviderConfig;

/** One call to one backend, as the ensemble hands it to a provider route. */
public record ProviderCall(
        String requestId,
        ProviderConfig provider,
        String prompt,
        int maxTokens,
        Double temperature,
        JsonNode format,
        long deadlineNanos) {

    public static final String PROPERTY = "llmpool.call";

    public long remainingMillis() {
        return (deadlineNanos - System.nanoTime()) / 1_000_000;
    }
}
