package dev.llmpool.config;

import java.util.Arrays;
import java.util.List;

/**
 * One backend model as the operator configured it under {@code pool.providers.<name>.*}. {@code url} is the value as
 * configured (one base URL, or several comma-separated: replicas of the same model); {@code replicaUrls} are those
 * base URLs one by one. {@code queueSize} bounds the calls that may wait for a free slot (see ProviderGuards).
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
        List<String> replicaUrls,
        int queueSize,
        int contextTokens) {

    /** The queue for a free slot when {@code pool.providers.<name>.queue-size} is not set. */
    public static final int DEFAULT_QUEUE_SIZE = 256;

    public ProviderConfig {
        replicaUrls = List.copyOf(replicaUrls);
    }

    /** For callers that know one URL (or a comma-separated list), the default queue and no context window. */
    public ProviderConfig(String name, String url, Kind kind, String model, double weight, int maxConcurrency,
                          BreakerSettings breaker) {
        this(name, url, kind, model, weight, maxConcurrency, breaker, splitUrls(url), DEFAULT_QUEUE_SIZE);
    }

    /** A provider whose context window is not configured. */
    public ProviderConfig(String name, String url, Kind kind, String model, double weight, int maxConcurrency,
                          BreakerSettings breaker, List<String> replicaUrls, int queueSize) {
        this(name, url, kind, model, weight, maxConcurrency, breaker, replicaUrls, queueSize, 0);
    }

    /** Whether a request needing {@code tokens} (prompt and answer) fits this model's context window. */
    public boolean fits(int tokens) {
        return contextTokens == 0 || tokens <= contextTokens;
    }

    /** The base URLs of a comma-separated list, trimmed, each without a trailing slash. */
    public static List<String> splitUrls(String urls) {
        return Arrays.stream(urls.split(",")).map(String::trim).filter(u -> !u.isEmpty())
                .map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u).toList();
    }

    /** The HTTP dialect a backend speaks. */
    public enum Kind { OLLAMA, OPENAI }

    /**
     * Circuit breaker and bulkhead tuning per provider; defaults suit a local model that answers in seconds.
     *
     * @param slowCallRateThreshold   % of calls slower than {@code slowCallDurationThresholdSeconds} that opens it
     * @param bulkheadMaxWaitMillis   the longest a call waits in the provider's queue for a free slot (Long.MAX_VALUE:
     *                                up to the request's deadline)
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
