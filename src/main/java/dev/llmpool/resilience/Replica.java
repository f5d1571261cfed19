package dev.llmpool.resilience;

import java.time.Duration;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

import dev.llmpool.config.ProviderConfig;

/**
 * One base URL of a provider, with its own guards: a Resilience4j circuit breaker (in the pool's breaker registry,
 * whose listeners feed /health), a bulkhead (max-concurrency calls in flight) and a recent latency.
 */
public final class Replica {

    /** Recent latency: each new sample moves it this fraction of the way. */
    private static final double LATENCY_WEIGHT = 0.3;
    /** Recent latencies that differ by less than half again count as equally fast (log scale). */
    private static final double LATENCY_STEP = Math.log(1.5);

    private final String url;
    private final CircuitBreaker breaker;
    private final Bulkhead bulkhead;
    private volatile long latencyNanos;
    volatile boolean removed;
    /** When it was last chosen, on its provider's count of choices (ReplicaChoice). */
    volatile long lastChosen;

    Replica(String url, CircuitBreaker breaker, Bulkhead bulkhead) {
        this.url = url;
        this.breaker = breaker;
        this.bulkhead = bulkhead;
    }

    /**
     * A replica with fresh guards from the provider's settings; a breaker of the same name in the registry is
     * replaced. A full bulkhead is ignored by the breaker: a replica at max-concurrency is busy, not broken, and a
     * burst must not open it.
     */
    static Replica fresh(String breakerName, String url, ProviderConfig p, CircuitBreakerRegistry breakers) {
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
        breakers.remove(breakerName);
        CircuitBreaker breaker = breakers.circuitBreaker(breakerName, config);
        // Never waits itself: a call that finds it full waits in the provider's queue, holding no thread
        Bulkhead bulkhead = Bulkhead.of(breakerName, BulkheadConfig.custom().maxConcurrentCalls(p.maxConcurrency())
                .maxWaitDuration(Duration.ZERO).writableStackTraceEnabled(false).build());
        return new Replica(url, breaker, bulkhead);
    }

    public String url() {
        return url;
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    public Bulkhead bulkhead() {
        return bulkhead;
    }

    /** Calls holding a slot of its bulkhead now. */
    public int inFlight() {
        return bulkhead.getBulkheadConfig().getMaxConcurrentCalls() - bulkhead.getMetrics().getAvailableConcurrentCalls();
    }

    /** Whether it may get calls: still configured, and its breaker not open. */
    public boolean usable() {
        CircuitBreaker.State s = breaker.getState();
        return !removed && s != CircuitBreaker.State.OPEN && s != CircuitBreaker.State.FORCED_OPEN;
    }

    boolean hasFreeSlot() {
        return bulkhead.getMetrics().getAvailableConcurrentCalls() > 0;
    }

    /** Recent latency of its answered calls, in milliseconds (0 before the first). */
    public long recentLatencyMs() {
        return latencyNanos / 1_000_000;
    }

    /** The recent latency on a scale whose steps are each half again the one before. */
    int latencyStep() {
        return (int) (Math.log1p(latencyNanos / 1_000_000.0) / LATENCY_STEP);
    }

    void recordLatency(long nanos) {
        long before = latencyNanos;
        latencyNanos = before == 0 ? nanos : (long) (before + LATENCY_WEIGHT * (nanos - before));
    }
}
