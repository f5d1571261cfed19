package dev.llmpool.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.spi.Policy;

import dev.llmpool.ensemble.EventLoopTimers;
import dev.llmpool.health.BreakerEvents;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.health.ProviderHealth;
import dev.llmpool.tracing.Tracing;

/**
 * Each provider's guards (issue 4; asynchronous since issue 7): its replicas' circuit breakers and bulkheads and its
 * queue for a free slot, used by the provider routes' policy node for whole and streamed calls alike.
 */
public class ResilienceBeans {

    /**
     * Each replica's circuit breaker lives in the guards' breaker registry, whose listeners feed /health and provider
     * selection; a replica whose last health check failed gets no calls; waits for a slot time out on the pool's timers.
     */
    @BindToRegistry
    public ProviderGuards providerGuards(@BeanInject("healthRegistry") HealthRegistry health,
                                         @BeanInject("eventLoopTimers") EventLoopTimers timers,
                                         @BeanInject("metricsRegistry") MeterRegistry metrics) {
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.ofDefaults(), new BreakerEvents(health));
        return new ProviderGuards(breakers, timers, metrics,
                (provider, url) -> health.replica(provider, url).status() == ProviderHealth.Status.DOWN);
    }

    @BindToRegistry
    public CircuitBreakerRegistry circuitBreakerRegistry(ProviderGuards guards) {
        return guards.breakers();
    }

    /** The provider routes' policy node; with tracing on, each guarded call is also a CLIENT span (tracing/CallSpans). */
    @BindToRegistry
    public Policy breakerPolicy(ProviderGuards guards, @BeanInject("tracing") Tracing tracing) {
        return tracing.callSpansAround(new BreakerPolicy(guards));
    }
}
