package dev.llmpool.ensemble;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Live performance per provider for WEIGHTED: exponentially weighted success rate and latency over recent
 * calls (each new call counts for {@value #ALPHA} of the average). A provider never seen scores as perfect.
 */
public class ProviderStats {

    static final double ALPHA = 0.2;
    /** The latency at which the latency factor halves. */
    static final double REFERENCE_LATENCY_MS = 1000;

    private record Stats(double successRate, double latencyMs) {
    }

    private final Map<String, Stats> byProvider = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    public ProviderStats(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Also counted as {@code llmpool_provider_calls_seconds{provider,outcome}}. */
    public void record(String provider, boolean success, long latencyMs) {
        Timer.builder("llmpool.provider.calls").description("Backend calls by provider and outcome")
                .tag("provider", provider).tag("outcome", success ? "success" : "failure")
                .register(registry).record(latencyMs, TimeUnit.MILLISECONDS);
        byProvider.merge(provider, new Stats(success ? 1 : 0, latencyMs), (old, now) -> new Stats(
                old.successRate + ALPHA * (now.successRate - old.successRate),
                success ? old.latencyMs + ALPHA * (now.latencyMs - old.latencyMs) : old.latencyMs));
    }

    /** successRate × 1000 / (1000 + latencyMs): 1.0 for a fast, reliable provider. */
    public double liveFactor(String provider) {
        Stats s = byProvider.get(provider);
        if (s == null) {
            return 1.0;
        }
        return s.successRate * REFERENCE_LATENCY_MS / (REFERENCE_LATENCY_MS + s.latencyMs);
    }
}
