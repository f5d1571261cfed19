package dev.llmpool.health;

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
    /** The live breaker per provider: a route rebuilt on reload replaces it, and the old one must fall silent. */
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
        if (provider != null) {
            current.remove(provider, event.getRemovedEntry());
        }
    }

    private void watch(CircuitBreaker breaker) {
        String provider = providerOf(breaker);
        if (provider == null) {
            return;
        }
        current.put(provider, breaker);
        registry.recordCircuit(provider, breaker.getState().name());
        breaker.getEventPublisher()
                .onStateTransition(e -> {
                    if (current.get(provider) == breaker) {
                        String to = e.getStateTransition().getToState().name();
                        registry.recordCircuit(provider, to);
                        LOG.info("event=breaker_transition provider={} from={} to={} failure_rate={} slow_call_rate={}",
                                provider, e.getStateTransition().getFromState(), to,
                                breaker.getMetrics().getFailureRate(), breaker.getMetrics().getSlowCallRate());
                    }
                })
                .onSuccess(e -> {
                    if (current.get(provider) == breaker) { // it answers: a timed-out health check then means busy
                        registry.recordCallSuccess(provider);
                    }
                })
                .onError(e -> {
                    if (current.get(provider) == breaker) {
                        registry.recordCallError(provider, FailureReasons.describe(e.getThrowable()));
                    }
                })
                .onSlowCallRateExceeded(e -> {
                    if (current.get(provider) == breaker) { // slow calls may have succeeded: no error says why
                        registry.recordCallError(provider, String.format(java.util.Locale.ROOT,
                                "slow calls: %.0f%% took over %d s (slow-call-seconds)", e.getSlowCallRate(),
                                breaker.getCircuitBreakerConfig().getSlowCallDurationThreshold().toSeconds()));
                    }
                });
    }

    private static String providerOf(CircuitBreaker breaker) {
        String name = breaker.getName();
        return name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : null;
    }
}
