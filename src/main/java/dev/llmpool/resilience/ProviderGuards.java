package dev.llmpool.resilience;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.ProviderUrls;

/**
 * Each provider's guards, used as a library around asynchronous calls: a permit is taken before a call and given
 * back with its outcome when the call ends, on whatever thread that is. (Camel's circuitBreaker EIP runs its steps
 * synchronously and so holds a thread per call in flight.)
 *
 * <p>A provider is one or more replicas (base URLs serving the same model). Each replica has its own Resilience4j
 * circuit breaker (in the pool's breaker registry, whose listeners feed /health: {@link #breakerName}) and bulkhead
 * (max-concurrency calls in flight), and a recent latency. A permit names the replica it was taken on: the usable one
 * with the fewest calls in flight, ties broken by the lower recent latency; a replica whose breaker is open gets no
 * calls until the breaker lets probes through again.
 *
 * <p>Fair admission: when no replica has a free slot, the call waits in the provider's first-come-first-served queue
 * (at most queue-size waiters; a full queue refuses at once) until a slot is given back, its wait runs out
 * (max-concurrency-wait-ms, else the call's deadline) or its sender abandons it. Waiting holds no thread: the waiter is
 * a callback, run when a permit is released. A request's first call goes ahead of extra calls (hedges, the further
 * calls of a fan-out), which never pass a waiting first call.
 */
public final class ProviderGuards {

    /** Whether a call is its request's only one (first come, first served) or an extra one that yields to those. */
    public enum Priority { FIRST, EXTRA }

    private static final Logger LOG = LoggerFactory.getLogger(ProviderGuards.class);
    /** Replicas' recent latency: each new sample moves it this fraction of the way. */
    private static final double LATENCY_WEIGHT = 0.3;
    /** Replicas whose recent latencies differ by less than half again count as equally fast (log scale). */
    private static final double LATENCY_STEP = Math.log(1.5);

    private final CircuitBreakerRegistry breakers;
    private final ScheduledExecutorService timers;
    private final MeterRegistry meters;
    private final Map<String, Provider> providers = new ConcurrentHashMap<>();

    /** @param meters where the wait for a slot is timed ({@code llmpool_provider_queue_wait_seconds}) */
    public ProviderGuards(CircuitBreakerRegistry breakers, ScheduledExecutorService timers, MeterRegistry meters) {
        this.breakers = breakers;
        this.timers = timers;
        this.meters = meters;
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
     * Takes the provider's current settings. A change of breaker settings or max-concurrency gives every replica a
     * fresh breaker (closed, empty window) and bulkhead; otherwise replicas that stay keep theirs, new ones get fresh
     * guards, and removed ones get no new calls while the calls they have in flight finish (their permits hold their
     * own guards). Waiting calls stay in the queue. A full bulkhead is ignored by a breaker: a replica at
     * max-concurrency is busy, not broken, and a burst must not open it.
     */
    public void replace(ProviderConfig p) {
        Provider provider = providers.computeIfAbsent(p.name(), Provider::new);
        provider.apply(p);
        provider.drain();
    }

    /** The provider's replicas now, in configuration order (empty for an unknown provider). */
    public List<Replica> replicas(String provider) {
        Provider p = providers.get(provider);
        return p == null ? List.of() : p.replicas;
    }

    /** The breaker of the provider's first replica (the only one for a single URL), or null. */
    public CircuitBreaker breaker(String provider) {
        List<Replica> r = replicas(provider);
        return r.isEmpty() ? null : r.get(0).breaker;
    }

    /** The bulkhead of the provider's first replica (the only one for a single URL), or null. */
    public Bulkhead bulkhead(String provider) {
        List<Replica> r = replicas(provider);
        return r.isEmpty() ? null : r.get(0).bulkhead;
    }

    /** Calls to the provider in flight now, over its replicas. */
    public int inFlight(String provider) {
        return replicas(provider).stream().mapToInt(Replica::inFlight).sum();
    }

    /** Calls waiting for a free slot of the provider now. */
    public int queueLength(String provider) {
        Provider p = providers.get(provider);
        return p == null ? 0 : p.queueLength();
    }

    /** True when a call to the provider would get a slot now, without waiting. */
    public boolean hasFreeSlot(String provider) {
        Provider p = providers.get(provider);
        return p != null && p.queueLength() == 0 && p.replicas.stream().anyMatch(r -> r.usable() && r.hasFreeSlot());
    }

    /** A permit to call the provider now, or a refused one ({@link Permit#refusal()} says why); never waits. */
    public Permit tryAcquire(String provider) {
        Provider p = providers.get(provider);
        return p == null ? new Permit(null, null, null) : p.tryAcquire();
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
            then.accept(new Permit(null, null, null));
            return () -> { };
        }
        return p.acquire(priority, deadlineNanos, then);
    }

    /** One provider: its replicas and its queue of calls waiting for a slot. */
    private final class Provider {
        final String name;
        volatile List<Replica> replicas = List.of();
        private volatile ProviderConfig settings;
        private final Timer queueWait;
        // guarded by this: first calls, then extra calls; together at most settings.queueSize()
        private final Deque<Waiter> firstCalls = new ArrayDeque<>();
        private final Deque<Waiter> extraCalls = new ArrayDeque<>();
        private final AtomicLong choices = new AtomicLong();

        Provider(String name) {
            this.name = name;
            this.queueWait = Timer.builder("llmpool.provider.queue.wait")
                    .description("Time a call waited in its provider's queue for a free slot")
                    .tag("provider", name).register(meters);
        }

        synchronized void apply(ProviderConfig p) {
            ProviderConfig before = settings;
            boolean fresh = before == null || !before.breaker().equals(p.breaker())
                    || before.maxConcurrency() != p.maxConcurrency();
            List<Replica> next = new ArrayList<>();
            for (String url : p.replicaUrls()) {
                Replica kept = fresh ? null : replicas.stream().filter(r -> r.url.equals(url)
                        && r.breaker.getName().equals(breakerName(name, url, p.replicaUrls().size()))).findFirst().orElse(null);
                next.add(kept != null ? kept : newReplica(p, url));
            }
            // A breaker no replica uses any more leaves the registry (and /health); its calls in flight still end
            for (Replica old : replicas) {
                if (!next.contains(old)) {
                    old.removed = true;
                    breakers.find(old.breaker.getName()).filter(b -> b == old.breaker)
                            .ifPresent(b -> breakers.remove(b.getName()));
                }
            }
            settings = p;
            replicas = List.copyOf(next);
        }

        private Replica newReplica(ProviderConfig p, String url) {
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
            String breakerName = breakerName(name, url, p.replicaUrls().size());
            breakers.remove(breakerName);
            CircuitBreaker breaker = breakers.circuitBreaker(breakerName, config);
            // Never waits itself: a call that finds it full waits in the provider's queue, holding no thread
            Bulkhead bulkhead = Bulkhead.of(breakerName, BulkheadConfig.custom().maxConcurrentCalls(p.maxConcurrency())
                    .maxWaitDuration(Duration.ZERO).writableStackTraceEnabled(false).build());
            return new Replica(url, breaker, bulkhead);
        }

        synchronized int queueLength() {
            return firstCalls.size() + extraCalls.size();
        }

        /** The least-loaded usable replica's permit; a refusal says whether all were full or all broken. */
        Permit tryAcquire() {
            // Latencies within a step of each other count as equal (the noise of equal replicas must not send every
            // call to whichever was a hair faster): then the one chosen least recently goes first. Sorted on a
            // snapshot: other threads change the counts meanwhile.
            record Load(Replica replica, int inFlight, int latencyStep, long lastChosen) {
            }
            List<Replica> candidates = replicas.stream().map(r -> new Load(r, r.inFlight(), r.latencyStep(), r.lastChosen))
                    .sorted(Comparator.comparingInt(Load::inFlight).thenComparingInt(Load::latencyStep)
                            .thenComparingLong(Load::lastChosen))
                    .map(Load::replica).toList();
            RuntimeException refusal = null;
            for (Replica r : candidates) {
                if (!r.usable()) {
                    if (refusal == null) {
                        refusal = CallNotPermittedException.createCallNotPermittedException(r.breaker);
                    }
                    continue;
                }
                if (!r.bulkhead.tryAcquirePermission()) {
                    refusal = BulkheadFullException.createBulkheadFullException(r.bulkhead);
                    continue;
                }
                if (!r.breaker.tryAcquirePermission()) { // half open, its probes taken
                    r.bulkhead.onComplete();
                    if (!(refusal instanceof BulkheadFullException)) {
                        refusal = CallNotPermittedException.createCallNotPermittedException(r.breaker);
                    }
                    continue;
                }
                r.lastChosen = choices.incrementAndGet();
                return new Permit(this, r, null);
            }
            return new Permit(null, null, refusal != null ? refusal
                    : new IllegalStateException("provider " + name + " has no replica"));
        }

        Runnable acquire(Priority priority, long deadlineNanos, Consumer<Permit> then) {
            Waiter waiter;
            Permit now;
            synchronized (this) {
                boolean mayPass = priority == Priority.FIRST ? firstCalls.isEmpty() : queueLength() == 0;
                now = mayPass ? tryAcquire() : null;
                if (now != null && !(now.refusal() instanceof BulkheadFullException)) {
                    waiter = null;
                } else if (queueLength() >= settings.queueSize()) {
                    now = refused("the queue for a free slot is full (" + settings.queueSize() + " calls waiting)");
                    waiter = null;
                } else {
                    long maxWait = settings.breaker().bulkheadMaxWaitMillis();
                    long giveUp = maxWait == Long.MAX_VALUE ? deadlineNanos
                            : Math.min(deadlineNanos, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxWait));
                    if (giveUp <= System.nanoTime()) {
                        now = refused("max-concurrency calls already in flight");
                        waiter = null;
                    } else {
                        waiter = new Waiter(then, priority);
                        (priority == Priority.FIRST ? firstCalls : extraCalls).addLast(waiter);
                        waiter.timer = timers.schedule(() -> giveUp(waiter, "waited " + (System.nanoTime()
                                        - waiter.queuedNanos) / 1_000_000 + " ms in the queue for a free slot"),
                                Math.max(0, giveUp - System.nanoTime()), TimeUnit.NANOSECONDS);
                        now = null;
                    }
                }
            }
            if (now != null) {
                then.accept(now);
                return () -> { };
            }
            drain(); // a slot given back while we queued
            return () -> giveUp(waiter, "withdrawn by its sender while waiting for a free slot");
        }

        /** A full queue or a wait that ran out: the provider is busy, not broken (its breakers ignore it). */
        private Permit refused(String why) {
            List<Replica> r = replicas;
            Bulkhead any = r.isEmpty() ? Bulkhead.ofDefaults(name) : r.get(0).bulkhead;
            LOG.debug("event=provider_busy provider={} reason=\"{}\"", name, why);
            return new Permit(null, null, BulkheadFullException.createBulkheadFullException(any));
        }

        private void giveUp(Waiter waiter, String why) {
            synchronized (this) {
                if (!firstCalls.remove(waiter) && !extraCalls.remove(waiter)) {
                    return; // granted meanwhile
                }
            }
            waiter.timer.cancel(false);
            recordWait(waiter);
            waiter.then.accept(refused(why));
        }

        /** Hands free slots to the waiters, first calls first, each in arrival order. */
        void drain() {
            while (true) {
                Waiter next;
                Permit permit;
                synchronized (this) {
                    next = firstCalls.isEmpty() ? extraCalls.peekFirst() : firstCalls.peekFirst();
                    if (next == null) {
                        return;
                    }
                    permit = tryAcquire();
                    if (permit.refusal() != null) {
                        return; // no slot yet (or every replica broken: the waiters' own waits decide)
                    }
                    (next.priority == Priority.FIRST ? firstCalls : extraCalls).removeFirst();
                }
                next.timer.cancel(false);
                recordWait(next);
                // Not on the releasing call's stack: the granted call's route runs from here
                timers.execute(() -> next.then.accept(permit));
            }
        }

        private void recordWait(Waiter waiter) {
            queueWait.record(System.nanoTime() - waiter.queuedNanos, TimeUnit.NANOSECONDS);
        }
    }

    private static final class Waiter {
        final Consumer<Permit> then;
        final Priority priority;
        final long queuedNanos = System.nanoTime();
        ScheduledFuture<?> timer;

        Waiter(Consumer<Permit> then, Priority priority) {
            this.then = then;
            this.priority = priority;
        }
    }

    /** One base URL of a provider, with its own breaker, bulkhead and recent latency. */
    public static final class Replica {
        private final String url;
        private final CircuitBreaker breaker;
        private final Bulkhead bulkhead;
        private volatile long latencyNanos;
        private volatile boolean removed;
        private volatile long lastChosen;

        Replica(String url, CircuitBreaker breaker, Bulkhead bulkhead) {
            this.url = url;
            this.breaker = breaker;
            this.bulkhead = bulkhead;
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

    /**
     * Given back exactly once: succeeded, failed or released (cancelled: counts neither way). The bulkhead slot may go
     * back earlier ({@link #freeSlot()}), when the call's sender has ended it and its outcome is still to come. A
     * slot given back goes to the provider's next waiter.
     */
    public static final class Permit {
        private final Provider provider;
        private final Replica replica;
        private final RuntimeException refusal;
        private final long startedNanos = System.nanoTime();
        private final AtomicBoolean returned = new AtomicBoolean();
        private final AtomicBoolean slotFreed = new AtomicBoolean();

        Permit(Provider provider, Replica replica, RuntimeException refusal) {
            this.provider = provider;
            this.replica = replica;
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

        /** The base URL the call goes to, or null when refused (or for a provider the guards do not know). */
        public String replicaUrl() {
            return replica == null ? null : replica.url;
        }

        public void succeeded() {
            if (giveBack() && replica != null) {
                long nanos = System.nanoTime() - startedNanos;
                replica.recordLatency(nanos);
                replica.breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
            }
        }

        public void failed(Throwable cause) {
            if (giveBack() && replica != null) {
                long nanos = System.nanoTime() - startedNanos;
                replica.recordLatency(nanos);
                replica.breaker.onError(nanos, TimeUnit.NANOSECONDS, cause);
            }
        }

        public void release() {
            if (giveBack() && replica != null) {
                replica.breaker.releasePermission();
            }
        }

        /** The bulkhead slot goes back now; the breaker still gets the call's outcome when it ends. */
        public void freeSlot() {
            if (slotFreed.compareAndSet(false, true) && replica != null) {
                replica.bulkhead.onComplete();
                provider.drain();
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
