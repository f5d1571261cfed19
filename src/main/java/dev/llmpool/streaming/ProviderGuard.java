package dev.llmpool.streaming;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.component.resilience4j.ResilienceProcessor;

import dev.llmpool.providers.ProviderException;

/**
 * A streaming call does not pass through its provider route, so it takes its permits from that route's own
 * circuit breaker and bulkhead (its circuitBreaker node): an open circuit or a full bulkhead refuses it
 * as it would a whole-answer call, and its outcome counts in the same failure rate.
 */
final class ProviderGuard {

    private final CamelContext camel;

    ProviderGuard(CamelContext camel) {
        this.camel = camel;
    }

    /** A permit to call the provider now, or a refused one ({@link Permit#refusal()} says why). */
    Permit acquire(String provider) {
        ResilienceProcessor node = breakerOf(camel, provider);
        if (node == null) {
            return new Permit(null, null, null);
        }
        Bulkhead bulkhead = node.getBulkheadRegistry() == null ? null
                : node.getBulkheadRegistry().find(node.getId()).orElse(null);
        if (bulkhead != null && !bulkhead.tryAcquirePermission()) {
            return new Permit(null, null, "at max-concurrency");
        }
        CircuitBreaker breaker = node.getCircuitBreaker();
        if (breaker != null && !breaker.tryAcquirePermission()) {
            if (bulkhead != null) {
                bulkhead.onComplete();
            }
            return new Permit(null, null, "circuit breaker open");
        }
        return new Permit(breaker, bulkhead, null);
    }

    /**
     * The provider route's circuitBreaker node. Found by type within the route: Camel prefixes the ids of nodes
     * made from a route template (e.g. {@code route-1breaker-phi3}), and the prefix changes when the route is rebuilt.
     */
    static ResilienceProcessor breakerOf(CamelContext camel, String provider) {
        Route route = camel.getRoute("provider-" + provider); // the route id ProviderRoutes gives it
        if (route == null) {
            return null;
        }
        for (Processor p : route.filter("*")) {
            if (p instanceof ResilienceProcessor breaker) {
                return breaker;
            }
        }
        return null;
    }

    /** Given back exactly once: succeeded, failed or released (cancelled: counts neither way). */
    static final class Permit {
        private final CircuitBreaker breaker;
        private final Bulkhead bulkhead;
        private final String refusal;
        private final long startedNanos = System.nanoTime();
        private final AtomicBoolean returned = new AtomicBoolean();

        Permit(CircuitBreaker breaker, Bulkhead bulkhead, String refusal) {
            this.breaker = breaker;
            this.bulkhead = bulkhead;
            this.refusal = refusal;
            if (refusal != null) {
                returned.set(true);
            }
        }

        /** Why the call may not be made, or null when it may. */
        String refusal() {
            return refusal;
        }

        void succeeded() {
            if (giveBack() && breaker != null) {
                breaker.onSuccess(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
            }
        }

        void failed(String reason) {
            if (giveBack() && breaker != null) {
                breaker.onError(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS, new ProviderException(0, reason));
            }
        }

        void release() {
            if (giveBack() && breaker != null) {
                breaker.releasePermission();
            }
        }

        private boolean giveBack() {
            if (!returned.compareAndSet(false, true)) {
                return false;
            }
            if (bulkhead != null) {
                bulkhead.onComplete();
            }
            return true;
        }
    }
}
