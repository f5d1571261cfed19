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

    /**
     * What is left of the budget, rounded up: a timeout derived from it never fires before the deadline, so a call
     * that runs out of it ends the request with the deadline's 504, not with a 503 "timed out" a hair early.
     */
    public long remainingMillis() {
        long nanos = deadlineNanos - System.nanoTime();
        return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
    }
}
