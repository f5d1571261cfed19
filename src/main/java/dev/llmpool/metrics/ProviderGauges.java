package dev.llmpool.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderUrls;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.resilience.ProviderGuards;
import dev.llmpool.resilience.Replica;

/**
 * Per-provider gauges, read when scraped: {@code llmpool_provider_inflight{provider}} (calls holding a slot of its
 * replicas' bulkheads), {@code llmpool_provider_queue_length{provider}} (calls waiting for a slot),
 * {@code llmpool_circuit_state{provider,state}} (1 for the provider's circuit state, 0 for the others), and per
 * replica {@code llmpool_replica_inflight{provider,replica}} and {@code llmpool_replica_usable{provider,replica}} (1
 * while it may get calls). Kept in step with the configuration: a new provider or replica gets its gauges, a removed
 * one loses them.
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
        for (var p : config.providers().values()) {
            // keyed by name and replicas: a replica edit registers the provider's gauges anew
            String key = p.name() + " " + p.replicaUrls();
            if (!byProvider.containsKey(key)) {
                for (String old : List.copyOf(byProvider.keySet())) {
                    if (old.startsWith(p.name() + " ")) {
                        byProvider.remove(old).forEach(registry::remove);
                    }
                }
                byProvider.put(key, register(p.name(), p.replicaUrls()));
            }
        }
        for (String name : List.copyOf(byProvider.keySet())) {
            if (!config.providers().containsKey(name.substring(0, name.indexOf(' ')))) {
                byProvider.remove(name).forEach(registry::remove);
            }
        }
    }

    private List<Meter> register(String provider, List<String> urls) {
        List<Meter> meters = new ArrayList<>();
        meters.add(Gauge.builder("llmpool.provider.inflight", () -> inFlight(provider))
                .description("Backend calls in flight per provider").tag("provider", provider).register(registry));
        meters.add(Gauge.builder("llmpool.provider.queue.length", () -> guards.queueLength(provider))
                .description("Calls waiting for a free slot per provider").tag("provider", provider).register(registry));
        for (String url : urls) {
            String replica = ProviderUrls.masked(url);
            meters.add(Gauge.builder("llmpool.replica.inflight", () -> replicaOf(provider, url).map(Replica::inFlight).orElse(0))
                    .description("Backend calls in flight per replica").tag("provider", provider).tag("replica", replica)
                    .register(registry));
            meters.add(Gauge.builder("llmpool.replica.usable",
                            () -> replicaOf(provider, url).map(r -> guards.mayGetCalls(provider, r) ? 1 : 0).orElse(0))
                    .description("1 while the replica may get calls (configured, breaker not open, last check not failed)")
                    .tag("provider", provider).tag("replica", replica).register(registry));
        }
        for (String state : STATES) {
            meters.add(Gauge.builder("llmpool.circuit.state", () -> state.equals(circuit(provider)) ? 1 : 0)
                    .description("Circuit breaker state per provider: 1 for the current state")
                    .tag("provider", provider).tag("state", state).register(registry));
        }
        return meters;
    }

    /** Calls waiting for a free slot of the provider. */
    public int queueLength(String provider) {
        return guards.queueLength(provider);
    }

    /** The guards the gauges read (the replicas, for the operations page). */
    public ProviderGuards guards() {
        return guards;
    }

    public int inFlight(String provider) {
        return guards.inFlight(provider);
    }

    private java.util.Optional<Replica> replicaOf(String provider, String url) {
        return guards.replicas(provider).stream().filter(r -> r.url().equals(url)).findFirst();
    }

    /** FORCED_OPEN counts as OPEN. */
    private String circuit(String provider) {
        String state = health.circuit(provider);
        return "FORCED_OPEN".equals(state) ? "OPEN" : state;
    }
}
