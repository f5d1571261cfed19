package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.config.ProviderConfig;
import dev.llmpool.ensemble.FailureReasons;
import dev.llmpool.resilience.Permit;
import dev.llmpool.resilience.ProviderGuards.Priority;

/** The guards on their own: replica choice, and the fair queue for a free slot (no service, no backend). */
class ProviderGuardsTest {

    private static final String R1 = "http://10.0.0.1:11434";
    private static final String R2 = "http://10.0.0.2:11434";
    private static final String R3 = "http://10.0.0.3:11434";

    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    /** Replicas whose last health check failed, as the health checker would report them. */
    private final Set<String> checkFailed = ConcurrentHashMap.newKeySet();
    private final ProviderGuards guards = new ProviderGuards(CircuitBreakerRegistry.ofDefaults(), timers, meters,
            (provider, url) -> checkFailed.contains(url));

    @AfterEach
    void stopTimers() {
        timers.shutdownNow();
    }

    private static ProviderConfig provider(List<String> urls, int maxConcurrency, int queueSize, long maxWaitMs) {
        var breaker = new ProviderConfig.BreakerSettings(50, 2, 4, 600, 30, 1, 100, maxWaitMs);
        return new ProviderConfig("p", String.join(",", urls), ProviderConfig.Kind.OLLAMA, "m", 1.0, maxConcurrency,
                breaker, urls, queueSize);
    }

    @Test
    void callsGoToTheReplicaWithFewestInFlightAndNoneToAnOpenOne() {
        guards.replace(provider(List.of(R1, R2, R3), 4, 10, Long.MAX_VALUE));
        Permit a = guards.tryAcquire("p");
        Permit b = guards.tryAcquire("p");
        Permit c = guards.tryAcquire("p");
        assertEquals(List.of(R1, R2, R3), List.of(a.replicaUrl(), b.replicaUrl(), c.replicaUrl()),
                "each replica gets one before any gets a second");
        b.succeeded();
        assertEquals(R2, guards.tryAcquire("p").replicaUrl(), "the one with no call in flight goes next");
        guards.replicas("p").get(0).breaker().transitionToOpenState();
        for (int i = 0; i < 5; i++) {
            assertTrue(!R1.equals(guards.tryAcquire("p").replicaUrl()), "no call goes to the replica whose breaker is open");
        }
        guards.replicas("p").forEach(r -> r.breaker().transitionToOpenState());
        assertInstanceOf(CallNotPermittedException.class, guards.tryAcquire("p").refusal());
    }

    @Test
    void aReplicaWhoseLastHealthCheckFailedGetsNoCallsUntilACheckPasses() {
        guards.replace(provider(List.of(R1, R2, R3), 4, 10, Long.MAX_VALUE));
        checkFailed.add(R2);
        var r2 = guards.replicas("p").get(1);
        assertFalse(guards.mayGetCalls("p", r2));
        for (int i = 0; i < 6; i++) {
            assertNotEquals(R2, guards.tryAcquire("p").replicaUrl(), "no call to the replica whose check failed");
        }
        assertEquals(0, r2.inFlight());
        assertEquals("CLOSED", r2.breaker().getState().name(), "its breaker is not what keeps it out");
        checkFailed.remove(R2);
        assertTrue(guards.mayGetCalls("p", r2));
        assertEquals(R2, guards.tryAcquire("p").replicaUrl(), "back in, and the least loaded");
        checkFailed.addAll(List.of(R1, R2, R3)); // the moment before the provider is marked down
        assertEquals("last health check failed", FailureReasons.describe(guards.tryAcquire("p").refusal()));
    }

    @Test
    void aRemovedReplicaGetsNoCallsAndItsCallInFlightEndsCleanly() {
        guards.replace(provider(List.of(R1, R2), 4, 10, Long.MAX_VALUE));
        Permit onR1 = guards.tryAcquire("p");
        assertEquals(R1, onR1.replicaUrl());
        var kept = guards.replicas("p").get(1);
        guards.replace(provider(List.of(R2, R3), 4, 10, Long.MAX_VALUE));
        assertTrue(guards.replicas("p").get(0) == kept, "a replica that stays keeps its guards");
        for (int i = 0; i < 6; i++) {
            String url = guards.tryAcquire("p").replicaUrl();
            assertTrue(url.equals(R2) || url.equals(R3), url);
        }
        onR1.succeeded(); // the removed replica's call in flight finishes
        assertEquals(6, guards.inFlight("p"));
    }

    @Test
    void waitersGetFreedSlotsInArrivalOrderFirstCallsBeforeExtraOnes() throws Exception {
        guards.replace(provider(List.of(R1), 1, 10, Long.MAX_VALUE));
        Permit held = guards.tryAcquire("p");
        List<String> granted = new CopyOnWriteArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<Permit> permits = new CopyOnWriteArrayList<>();
        guards.acquire("p", Priority.EXTRA, deadline, p -> { granted.add("hedge"); permits.add(p); });
        guards.acquire("p", Priority.FIRST, deadline, p -> { granted.add("first-1"); permits.add(p); });
        guards.acquire("p", Priority.FIRST, deadline, p -> { granted.add("first-2"); permits.add(p); });
        assertEquals(3, guards.queueLength("p"));
        assertTrue(!guards.hasFreeSlot("p"));
        held.succeeded();
        for (int i = 0; i < 3; i++) {
            awaitSize(permits, i + 1);
            assertNull(permits.get(i).refusal());
            permits.get(i).succeeded();
        }
        assertEquals(List.of("first-1", "first-2", "hedge"), granted);
        assertEquals(0, guards.queueLength("p"));
        assertEquals(3, meters.get("llmpool.provider.queue.wait").timer().count());
    }

    @Test
    void aFullQueueRefusesAtOnceAndAWaitEndsAtTheDeadlineOrWhenWithdrawn() throws Exception {
        guards.replace(provider(List.of(R1), 1, 2, Long.MAX_VALUE));
        Permit held = guards.tryAcquire("p");
        List<Permit> outcomes = new CopyOnWriteArrayList<>();
        long soon = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        guards.acquire("p", Priority.FIRST, soon, outcomes::add);
        Runnable withdraw = guards.acquire("p", Priority.FIRST, Long.MAX_VALUE, outcomes::add);
        guards.acquire("p", Priority.FIRST, Long.MAX_VALUE, outcomes::add);
        assertEquals(1, outcomes.size(), "the third waiter finds the queue full");
        assertInstanceOf(BulkheadFullException.class, outcomes.get(0).refusal());
        awaitSize(outcomes, 2);
        assertInstanceOf(BulkheadFullException.class, outcomes.get(1).refusal(), "the first waiter's deadline passed");
        withdraw.run();
        assertEquals(3, outcomes.size());
        assertNotNull(outcomes.get(2).refusal());
        assertEquals(0, guards.queueLength("p"));
        held.release();
        assertTrue(guards.hasFreeSlot("p"));
    }

    @Test
    void maxConcurrencyWaitCapsTheWait() throws Exception {
        guards.replace(provider(List.of(R1), 1, 10, 50));
        Permit held = guards.tryAcquire("p");
        List<Permit> outcomes = new CopyOnWriteArrayList<>();
        long started = System.nanoTime();
        guards.acquire("p", Priority.FIRST, Long.MAX_VALUE, outcomes::add);
        awaitSize(outcomes, 1);
        assertInstanceOf(BulkheadFullException.class, outcomes.get(0).refusal());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "gave up after about 50 ms");
        held.release();
    }

    private static void awaitSize(List<?> list, int size) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (list.size() < size && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertTrue(list.size() >= size, "expected " + size + " outcomes, got " + list.size());
    }
}
