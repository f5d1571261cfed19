package dev.llmpool.health;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.registry.EntryAddedEvent;
import io.github.resilience4j.core.registry.EntryRemovedEvent;
import io.github.resilience4j.core.registry.EntryReplacedEvent;
import io.github.resilience4j.core.registry.RegistryEventConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.ensemble.FailureReasons;

/**
 * Listens to the circuit breakers the provider routes create (each named {@code breaker-<provider>}): logs every
 * state change and keeps each provider's circuit state, last failed call and whether its last call answered in the
 * {@link HealthRegistry}, so a request can leave an open provider out at once, {@code /health} can say why it is
 * open, and a health check can tell a busy provider from a dead one.
 */
public class BreakerEvents implements RegistryEventConsumer<CircuitBreaker> {

    private static final Logger LOG = LoggerFactory.getLogger(BreakerEvents.class);
    private static final String PREFIX = "breaker-";

    private final HealthRegistry registry;
    /**
     * The live breakers by name (one per replica of a provider): a route rebuilt on reload replaces one, and the old
     * one must fall silent.
     */
    private final Map<String, CircuitBreaker> current = new ConcurrentHashMap<>();

    public BreakerEvents(HealthRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void onEntryAddedEvent(EntryAddedEvent<CircuitBreaker> event) {
        watch(event.getAddedEntry());
    }

    @Override
    public void onEntryReplacedEvent(EntryReplacedEvent<CircuitBreaker> event) {
        watch(event.getNewEntry());
    }

    @Override
    public void onEntryRemovedEvent(EntryRemovedEvent<CircuitBreaker> event) {
        String provider = providerOf(event.getRemovedEntry());
        if (provider != null && current.remove(event.getRemovedEntry().getName(), event.getRemovedEntry())) {
            registry.recordCircuit(provider, state(provider));
        }
    }

    private void watch(CircuitBreaker breaker) {
        String provider = providerOf(breaker);
        if (provider == null) {
            return;
        }
        String name = breaker.getName();
        current.put(name, breaker);
        registry.recordCircuit(provider, state(provider));
        breaker.getEventPublisher()
                .onStateTransition(e -> {
                    if (current.get(name) == breaker) {
                        String to = e.getStateTransition().getToState().name();
                        registry.recordCircuit(provider, state(provider));
                        LOG.info("event=breaker_transition provider={} breaker=\"{}\" from={} to={} failure_rate={} slow_call_rate={}",
                                provider, name, e.getStateTransition().getFromState(), to,
                                breaker.getMetrics().getFailureRate(), breaker.getMetrics().getSlowCallRate());
                    }
                })
                .onSuccess(e -> {
                    if (current.get(name) == breaker) { // it answers: a timed-out health check then means busy
                        registry.recordCallSuccess(provider);
                    }
                })
                .onError(e -> {
                    if (current.get(name) == breaker) {
                        registry.recordCallError(provider, FailureReasons.describe(e.getThrowable()));
                    }
                })
                .onSlowCallRateExceeded(e -> {
                    if (current.get(name) == breaker) { // slow calls may have succeeded: no error says why
                        registry.recordCallError(provider, String.format(java.util.Locale.ROOT,
                                "slow calls: %.0f%% took over %d s (slow-call-seconds)", e.getSlowCallRate(),
                                breaker.getCircuitBreakerConfig().getSlowCallDurationThreshold().toSeconds()));
                    }
                });
    }

    /**
     * The provider's circuit over its replicas: CLOSED while any replica's breaker is closed, else HALF_OPEN while any
     * probes, else OPEN (no replica takes calls).
     */
    private String state(String provider) {
        List<String> states = current.values().stream().filter(b -> provider.equals(providerOf(b)))
                .map(b -> b.getState().name()).toList();
        return states.contains("CLOSED") || states.isEmpty() ? "CLOSED" : states.contains("HALF_OPEN") ? "HALF_OPEN"
                : states.get(0);
    }

    /** {@code breaker-<provider>}, followed by a space and the replica's URL when the provider has several. */
    private static String providerOf(CircuitBreaker breaker) {
        String name = breaker.getName();
        if (!name.startsWith(PREFIX)) {
            return null;
        }
        int space = name.indexOf(' ');
        return space < 0 ? name.substring(PREFIX.length()) : name.substring(PREFIX.length(), space);
    }
}
