package dev.llmpool.cache;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counters for the response cache and the idempotency keys (Prometheus names in brackets):
 * {@code llmpool.cache.requests{result=hit|miss|bypass|coalesced}} [llmpool_cache_requests_total],
 * {@code llmpool.cache.errors{store=redis}} [llmpool_cache_errors_total], and
 * {@code llmpool.idempotency.events{event=new|replayed|waited|conflict}} [llmpool_idempotency_events_total]
 * (a repeat that waited for the first and then replayed its response counts as waited and as replayed).
 * Each counter is looked up in the registry once, not on every request.
 */
public final class CacheMetrics {

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public CacheMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void cache(String result) {
        counter(result).increment();
    }

    /** The counter of cache requests with this result, for a caller that counts many (ExactRepeats). */
    public Counter counter(String result) {
        return counter("llmpool.cache.requests", "result", result);
    }

    public void idempotency(String event) {
        counter("llmpool.idempotency.events", "event", event).increment();
    }

    public void storeError(String store) {
        counter("llmpool.cache.errors", "store", store).increment();
    }

    /** Names and tag values are constants of this package, so the map stays small. */
    private Counter counter(String name, String tag, String value) {
        Counter c = counters.get(name + '|' + value);
        if (c == null) {
            c = counters.computeIfAbsent(name + '|' + value, k -> registry.counter(name, tag, value));
        }
        return c;
    }
}
