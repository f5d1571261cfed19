package dev.llmpool.metrics;

/**
 * One request as it ended, for the access log and the operations page. Every field is known to the pool (no
 * caller text except {@code prompt}, which only the operations page may keep, with pool.ui.show-prompts=true).
 *
 * @param winner        the provider whose answer was returned, or null
 * @param overheadNanos the duration minus the time spent waiting on backends ({@link dev.llmpool.api.RequestState#backendWaitNanos()})
 * @param traceId       the W3C trace id the caller sent in {@code traceparent}, or null
 */
public record FinishedRequest(
        long endedAtMillis,
        String requestId,
        String api,
        String tenant,
        String task,
        String strategy,
        String winner,
        int status,
        String errorCode,
        long durationNanos,
        long overheadNanos,
        long promptTokens,
        long completionTokens,
        boolean fromCache,
        String traceId,
        String prompt) {
}
