package dev.llmpool.providers;

/** A backend's successful answer, with the token counts the backend itself reported. */
public record ProviderReply(
        String provider,
        String model,
        String content,
        long promptTokens,
        long completionTokens,
        long latencyMs) {
}
