package dev.llmpool.resilience;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

import dev.llmpool.config.ProviderConfig;

/**
 * Each provider's Resilience4j circuit breaker ({@code breaker-<name>}, in the pool's breaker registry whose
 * listeners feed /health) and bulkhead (max-concurrency calls in flight), used as a library around asynchronous
 * calls: a permit is taken before a call and given back with its outcome when the call ends, on whatever thread
 * that is. (Camel's circuitBreaker EIP runs its steps synchronously and so holds a thread per call in flight.)
 */
public final class ProviderGuards {

    /** How often a call waiting for a free slot (max-concurrency-wait-ms) tries again. */
    private static final long WAIT_POLL_MS = 2;

    private record Guard(CircuitBreaker breaker, Bulkhead bulkhead, long maxWaitMs) {
    }

    private final CircuitBreakerRegistry breakers;
    private final ScheduledExecutorService timers;
    private final Map<String, Guard> guards = new ConcurrentHashMap<>();

    public ProviderGuards(CircuitBreakerRegistry breakers, ScheduledExecutorService timers) {
        this.breakers = breakers;
        this.timers = timers;
    }

    /**
     * A fresh breaker (closed, empty window) and bulkhead for the provider's current settings. A full bulkhead is
     * ignored by the breaker: a provider at max-concurrency is busy, not broken, and a burst must not open it.
     */
    public void replace(ProviderConfig p) {
        ProviderConfig.BreakerSettings b = p.breaker();
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .failureRateThreshold(b.failureRateThreshold())
                .minimumNumberOfCalls(b.minimumNumberOfCalls())
                .slidingWindowSize(b.slidingWindowSize())
                .waitDurationInOpenState(Duration.ofSeconds(b.waitDurationInOpenStateSeconds()))
                .slowCallDurationThreshold(Duration.ofSeconds(b.slowCallDurationThresholdSeconds()))
                .slowCallRateThreshold(b.slowCallRateThreshold())
                .permittedNumberOfCallsInHalfOpenState(b.permittedCallsInHalfOpenState())
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .ignoreExceptions(BulkheadFullException.class)
                .writableStackTraceEnabled(false)
                .build();
        String name = "breaker-" + p.name();
        breakers.remove(name);
        CircuitBreaker breaker = breakers.circuitBreaker(name, config);
        // The wait for a slot is ours (polled on the timers): Resilience4j's would block the calling thread.
        Bulkhead bulkhead = Bulkhead.of(name, BulkheadConfig.custom().maxConcurrentCalls(p.maxConcurrency())
                .maxWaitDuration(Duration.ZERO).writableStackTraceEnabled(false).build());
        guards.put(p.name(), new Guard(breaker, bulkhead, b.bulkheadMaxWaitMillis()));
    }

    public CircuitBreaker breaker(String provider) {
        Guard g = guards.get(provider);
        return g == null ? null : g.breaker();
    }

    public Bulkhead bulkhead(String provider) {
        Guard g = guards.get(provider);
        return g == null ? null : g.bulkhead();
    }

    /** Calls to the provider in flight now (permits its bulkhead has given out). */
    public int inFlight(String provider) {
        Guard g = guards.get(provider);
        return g == null ? 0 : g.bulkhead().getBulkheadConfig().getMaxConcurrentCalls()
                - g.bulkhead().getMetrics().getAvailableConcurrentCalls();
    }

    /** A permit to call the provider now, or a refused one ({@link Permit#refusal()} says why); never waits. */
    public Permit tryAcquire(String provider) {
        Guard g = guards.get(provider);
        if (g == null) {
            return new Permit(null, null, null);
        }
        if (!g.bulkhead().tryAcquirePermission()) {
            return new Permit(null, null, BulkheadFullException.createBulkheadFullException(g.bulkhead()));
        }
        if (!g.breaker().tryAcquirePermission()) {
            g.bulkhead().onComplete();
            return new Permit(null, null, CallNotPermittedException.createCallNotPermittedException(g.breaker()));
        }
        return new Permit(g.breaker(), g.bulkhead(), null);
    }

    /**
     * Hands {@code then} a permit, or a refused one. A provider at max-concurrency is waited for up to its
     * max-concurrency-wait-ms, polled on the timers (Resilience4j's own wait would block the calling thread);
     * {@code then} runs on the calling thread when the answer is immediate, else from the timers (the calling
     * event loop, or a timer thread).
     */
    public void acquire(String provider, Consumer<Permit> then) {
        Guard g = guards.get(provider);
        long giveUpNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(g == null ? 0 : g.maxWaitMs());
        retry(provider, giveUpNanos, then);
    }

    private void retry(String provider, long giveUpNanos, Consumer<Permit> then) {
        Permit permit = tryAcquire(provider);
        if (permit.refusal() instanceof BulkheadFullException && System.nanoTime() < giveUpNanos) {
            timers.schedule(() -> retry(provider, giveUpNanos, then), WAIT_POLL_MS, TimeUnit.MILLISECONDS);
        } else {
            then.accept(permit);
        }
    }

    /**
     * Given back exactly once: succeeded, failed or released (cancelled: counts neither way). The bulkhead slot may go
     * back earlier ({@link #freeSlot()}), when the call's sender has ended it and its outcome is still to come.
     */
    public static final class Permit {
        private final CircuitBreaker breaker;
        private final Bulkhead bulkhead;
        private final RuntimeException refusal;
        private final long startedNanos = System.nanoTime();
        private final AtomicBoolean returned = new AtomicBoolean();
        private final AtomicBoolean slotFreed = new AtomicBoolean();

        Permit(CircuitBreaker breaker, Bulkhead bulkhead, RuntimeException refusal) {
            this.breaker = breaker;
            this.bulkhead = bulkhead;
            this.refusal = refusal;
            if (refusal != null) {
                returned.set(true);
                slotFreed.set(true);
            }
        }

        /** Why the call may not be made (a BulkheadFullException or CallNotPermittedException), or null. */
        public RuntimeException refusal() {
            return refusal;
        }

        public void succeeded() {
            if (giveBack() && breaker != null) {
                breaker.onSuccess(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
            }
        }

        public void failed(Throwable cause) {
            if (giveBack() && breaker != null) {
                breaker.onError(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS, cause);
            }
        }

        public void release() {
            if (giveBack() && breaker != null) {
                breaker.releasePermission();
            }
        }

        /** The bulkhead slot goes back now; the breaker still gets the call's outcome when it ends. */
        public void freeSlot() {
            if (slotFreed.compareAndSet(false, true) && bulkhead != null) {
                bulkhead.onComplete();
            }
        }

        private boolean giveBack() {
            if (!returned.compareAndSet(false, true)) {
                return false;
            }
            freeSlot();
            return true;
        }
    }
}
