package dev.llmpool.cache;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counters for the response cache and the idempotency keys (Prometheus names in brackets):
 * {@code llmpool.cache.requests{result=hit|miss|bypass|coalesced}} [llmpool_cache_requests_total],
 * {@code llmpool.cache.errors{store=redis}} [llmpool_cache_errors_total], and
 * {@code llmpool.idempotency.events{event=new|replayed|waited|conflict}} [llmpool_idempotency_events_total]
 * (a repeat that waited for the first and then replayed its response counts as waited and as replayed).
 */
public final class CacheMetrics {

    private final MeterRegistry registry;

    public CacheMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void cache(String result) {
        registry.counter("llmpool.cache.requests", "result", result).increment();
    }

    public void idempotency(String event) {
        registry.counter("llmpool.idempotency.events", "event", event).increment();
    }

    public void storeError(String store) {
        registry.counter("llmpool.cache.errors", "store", store).increment();
    }
}
