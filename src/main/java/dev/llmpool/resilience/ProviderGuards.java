package dev.llmpool.resilience;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;

import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.ProviderUrls;

/**
 * Each provider's guards, used as a library around asynchronous calls: a permit is taken before a call and given
 * back with its outcome when the call ends, on whatever thread that is. (Camel's circuitBreaker EIP runs its steps
 * synchronously and so holds a thread per call in flight.)
 *
 * <p>The mechanisms, one class each: a provider is one or more {@link Replica}s (base URLs serving the same model),
 * each with its own breaker, bulkhead and recent latency; {@link ReplicaChoice} says which replica a call goes to;
 * a {@link Permit} holds that replica's slot until the call ends; when every replica is full the call waits in the
 * provider's {@link AdmissionQueue}. This class finds the provider's and hands the calls on.
 */
public final class ProviderGuards {

    /** Whether a call is its request's only one (first come, first served) or an extra one that yields to those. */
    public enum Priority { FIRST, EXTRA }

    private final CircuitBreakerRegistry breakers;
    private final ScheduledExecutorService timers;
    private final MeterRegistry meters;
    private final BiPredicate<String, String> checkFailed;
    private final Map<String, Provider> providers = new ConcurrentHashMap<>();

    /** One provider's replicas and its queue of calls waiting for a slot. */
    private record Provider(ReplicaChoice replicas, AdmissionQueue queue) {
    }

    /**
     * @param meters where the wait for a slot is timed ({@code llmpool_provider_queue_wait_seconds})
     * @param checkFailed (provider, replica URL): whether the replica's last health check failed (it then gets no calls)
     */
    public ProviderGuards(CircuitBreakerRegistry breakers, ScheduledExecutorService timers, MeterRegistry meters,
                          BiPredicate<String, String> checkFailed) {
        this.breakers = breakers;
        this.timers = timers;
        this.meters = meters;
        this.checkFailed = checkFailed;
    }

    /** The registry holding every replica's breaker (its listeners feed /health). */
    public CircuitBreakerRegistry breakers() {
        return breakers;
    }

    /** The breaker registry name of a replica: {@code breaker-<provider>}, then its masked URL when there are several. */
    public static String breakerName(String provider, String url, int replicas) {
        return "breaker-" + provider + (replicas > 1 ? " " + ProviderUrls.masked(url) : "");
    }

    /**
     * Takes the provider's current settings (see {@link ReplicaChoice#apply}); waiting calls stay in the queue and
     * get the slots a larger max-concurrency opens. A full bulkhead is ignored by a breaker: a replica at
     * max-concurrency is busy, not broken, and a burst must not open it.
     */
    public void replace(ProviderConfig p) {
        Provider provider = providers.computeIfAbsent(p.name(), name -> {
            ReplicaChoice replicas = new ReplicaChoice(name, breakers, checkFailed);
            return new Provider(replicas, new AdmissionQueue(name, replicas, timers, meters));
        });
        provider.replicas().apply(p);
        provider.queue().drain();
    }

    /** The provider's replicas now, in configuration order (empty for an unknown provider). */
    public List<Replica> replicas(String provider) {
        Provider p = providers.get(provider);
        return p == null ? List.of() : p.replicas().replicas();
    }

    /** Whether the provider's replica may get calls now (its breaker and its last health check; see {@link ReplicaChoice}). */
    public boolean mayGetCalls(String provider, Replica replica) {
        Provider p = providers.get(provider);
        return p != null && p.replicas().mayGetCalls(replica);
    }

    /** The breaker of the provider's first replica (the only one for a single URL), or null. */
    public CircuitBreaker breaker(String provider) {
        List<Replica> r = replicas(provider);
        return r.isEmpty() ? null : r.get(0).breaker();
    }

    /** The bulkhead of the provider's first replica (the only one for a single URL), or null. */
    public Bulkhead bulkhead(String provider) {
        List<Replica> r = replicas(provider);
        return r.isEmpty() ? null : r.get(0).bulkhead();
    }

    /** Calls to the provider in flight now, over its replicas. */
    public int inFlight(String provider) {
        return replicas(provider).stream().mapToInt(Replica::inFlight).sum();
    }

    /** Calls waiting for a free slot of the provider now. */
    public int queueLength(String provider) {
        Provider p = providers.get(provider);
        return p == null ? 0 : p.queue().queueLength();
    }

    /** True when a call to the provider would get a slot now, without waiting. */
    public boolean hasFreeSlot(String provider) {
        Provider p = providers.get(provider);
        return p != null && p.queue().queueLength() == 0 && p.replicas().anyFreeSlot();
    }

    /** A permit to call the provider now, or a refused one ({@link Permit#refusal()} says why); never waits. */
    public Permit tryAcquire(String provider) {
        Provider p = providers.get(provider);
        return p == null ? Permit.refused(null) : p.queue().tryAcquire();
    }

    /**
     * Hands {@code then} a permit, or a refused one: at once on the calling thread when a slot is free, an open
     * breaker refuses, or the queue is full; else when a slot is given back to this waiter (on the releasing
     * call's thread, handed to the timers), or with a BulkheadFullException when its wait runs out. The returned
     * action withdraws a waiting call from the queue (its {@code then} gets a refusal); it does nothing once
     * {@code then} has run.
     *
     * @param deadlineNanos the call's own deadline (System.nanoTime()); the wait ends there at the latest
     */
    public Runnable acquire(String provider, Priority priority, long deadlineNanos, Consumer<Permit> then) {
        Provider p = providers.get(provider);
        if (p == null) {
            then.accept(Permit.refused(null));
            return () -> { };
        }
        return p.queue().acquire(priority, deadlineNanos, then);
    }
}
