package dev.llmpool.config;

/**
 * One backend model as the operator configured it under {@code pool.providers.<name>.*}.
 *
 * @param contextTokens the model's context window in tokens (prompt plus answer); 0 when unknown, which never
 *                      skips the provider
 */
public record ProviderConfig(
        String name,
        String url,
        Kind kind,
        String model,
        double weight,
        int maxConcurrency,
        BreakerSettings breaker,
        int contextTokens) {

    /** A provider whose context window is not configured. */
    public ProviderConfig(String name, String url, Kind kind, String model, double weight, int maxConcurrency,
                          BreakerSettings breaker) {
        this(name, url, kind, model, weight, maxConcurrency, breaker, 0);
    }

    /** Whether a request needing {@code tokens} (prompt and answer) fits this model's context window. */
    public boolean fits(int tokens) {
        return contextTokens == 0 || tokens <= contextTokens;
    }

    /** The HTTP dialect a backend speaks. */
    public enum Kind { OLLAMA, OPENAI }

    /**
     * Circuit breaker and bulkhead tuning per provider; defaults suit a local model that answers in seconds.
     *
     * @param slowCallRateThreshold   % of calls slower than {@code slowCallDurationThresholdSeconds} that opens it
     * @param bulkheadMaxWaitMillis   how long a call waits for a free slot when max-concurrency calls are in flight
     */
    public record BreakerSettings(
            float failureRateThreshold,
            int minimumNumberOfCalls,
            int slidingWindowSize,
            int waitDurationInOpenStateSeconds,
            int slowCallDurationThresholdSeconds,
            int permittedCallsInHalfOpenState,
            float slowCallRateThreshold,
            long bulkheadMaxWaitMillis) {
    }
}
