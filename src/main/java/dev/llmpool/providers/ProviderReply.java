package dev.llmpool.providers;

/**
 * A backend's successful answer, with the token counts and the finish reason the backend itself reported.
 *
 * @param finishReason why the backend stopped ({@code stop}, {@code length}, ...): OpenAI's {@code finish_reason},
 *                     Ollama's {@code done_reason}; null when the backend gave none
 */
public record ProviderReply(
        String provider,
        String model,
        String content,
        long promptTokens,
        long completionTokens,
        long latencyMs,
        String finishReason) {

    /** A reply whose backend named no finish reason. */
    public ProviderReply(String provider, String model, String content, long promptTokens, long completionTokens,
                         long latencyMs) {
        this(provider, model, content, promptTokens, completionTokens, latencyMs, null);
    }

    /** True when the backend stopped because the token budget ran out: the answer is cut. */
    public boolean cutAtMaxTokens() {
        return "length".equals(finishReason);
    }
}
