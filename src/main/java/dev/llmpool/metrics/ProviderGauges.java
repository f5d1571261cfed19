package dev.llmpool.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import dev.llmpool.config.PoolConfig;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.resilience.ProviderGuards;

/**
 * Per-provider gauges, read when scraped: {@code llmpool_provider_inflight{provider}} (calls holding a slot of its
 * bulkhead) and {@code llmpool_circuit_state{provider,state}} (1 for the breaker's current state, 0 for the others).
 * Kept in step with the configuration: a new provider gets its gauges, a removed one loses them.
 */
public class ProviderGauges {

    static final List<String> STATES = List.of("CLOSED", "OPEN", "HALF_OPEN");

    private final MeterRegistry registry;
    private final ProviderGuards guards;
    private final HealthRegistry health;
    private final Map<String, List<Meter>> byProvider = new ConcurrentHashMap<>();

    public ProviderGauges(MeterRegistry registry, ProviderGuards guards, HealthRegistry health) {
        this.registry = registry;
        this.guards = guards;
        this.health = health;
    }

    /** Called with each configuration that becomes current. */
    public synchronized void apply(PoolConfig config) {
        for (String name : config.providers().keySet()) {
            byProvider.computeIfAbsent(name, this::register);
        }
        for (String name : List.copyOf(byProvider.keySet())) {
            if (!config.providers().containsKey(name)) {
                byProvider.remove(name).forEach(registry::remove);
            }
        }
    }

    private List<Meter> register(String provider) {
        List<Meter> meters = new ArrayList<>();
        meters.add(Gauge.builder("llmpool.provider.inflight", () -> inFlight(provider))
                .description("Backend calls in flight per provider").tag("provider", provider).register(registry));
        for (String state : STATES) {
            meters.add(Gauge.builder("llmpool.circuit.state", () -> state.equals(circuit(provider)) ? 1 : 0)
                    .description("Circuit breaker state per provider: 1 for the current state")
                    .tag("provider", provider).tag("state", state).register(registry));
        }
        return meters;
    }

    public int inFlight(String provider) {
        Bulkhead b = guards.bulkhead(provider);
        return b == null ? 0 : b.getBulkheadConfig().getMaxConcurrentCalls() - b.getMetrics().getAvailableConcurrentCalls();
    }

    /** FORCED_OPEN counts as OPEN. */
    private String circuit(String provider) {
        String state = health.circuit(provider);
        return "FORCED_OPEN".equals(state) ? "OPEN" : state;
    }
}
