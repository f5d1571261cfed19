package dev.llmpool.config;

/** One backend model as the operator configured it under {@code pool.providers.<name>.*}. */
public record ProviderConfig(
        String name,
        String url,
        Kind kind,
        String model,
        double weight,
        int maxConcurrency,
        BreakerSettings breaker) {

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
