package dev.llmpool.resilience;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.config.ProviderConfig;
import dev.llmpool.resilience.ProviderGuards.Priority;

/**
 * One provider's fair admission: when no replica has a free slot, the call waits in this first-come-first-served
 * queue (at most queue-size waiters; a full queue refuses at once) until a slot is given back, its wait runs out
 * (max-concurrency-wait-ms, else the call's deadline) or its sender abandons it. Waiting holds no thread: the waiter
 * is a callback, run when a permit is released. A request's first call goes ahead of extra calls (hedges, the
 * further calls of a fan-out), which never pass a waiting first call.
 */
final class AdmissionQueue {

    private static final Logger LOG = LoggerFactory.getLogger(AdmissionQueue.class);

    private final String provider;
    private final ReplicaChoice replicas;
    private final ScheduledExecutorService timers;
    private final Timer queueWait;
    /** Run when a permit's slot goes back: the slot goes to the next waiter. */
    private final Runnable handOn = this::drain;
    // guarded by this: first calls, then extra calls; together at most the provider's queue size
    private final Deque<Waiter> firstCalls = new ArrayDeque<>();
    private final Deque<Waiter> extraCalls = new ArrayDeque<>();

    /** @param meters where the wait for a slot is timed ({@code llmpool_provider_queue_wait_seconds}) */
    AdmissionQueue(String provider, ReplicaChoice replicas, ScheduledExecutorService timers, MeterRegistry meters) {
        this.provider = provider;
        this.replicas = replicas;
        this.timers = timers;
        this.queueWait = Timer.builder("llmpool.provider.queue.wait")
                .description("Time a call waited in its provider's queue for a free slot")
                .tag("provider", provider).register(meters);
    }

    synchronized int queueLength() {
        return firstCalls.size() + extraCalls.size();
    }

    /** A permit on the replica the choice gives, or a refusal; never waits. */
    Permit tryAcquire() {
        return replicas.tryAcquire(handOn);
    }

    /** See {@link ProviderGuards#acquire}. */
    Runnable acquire(Priority priority, long deadlineNanos, Consumer<Permit> then) {
        Waiter waiter;
        Permit now;
        synchronized (this) {
            ProviderConfig settings = replicas.settings();
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
        List<Replica> r = replicas.replicas();
        Bulkhead any = r.isEmpty() ? Bulkhead.ofDefaults(provider) : r.get(0).bulkhead();
        LOG.debug("event=provider_busy provider={} reason=\"{}\"", provider, why);
        return Permit.refused(BulkheadFullException.createBulkheadFullException(any));
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
}
