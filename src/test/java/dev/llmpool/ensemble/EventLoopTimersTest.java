package dev.llmpool.ensemble;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventLoopTimersTest {

    private final Vertx vertx = Vertx.vertx();
    private final EventLoopTimers timers = new EventLoopTimers(1, r -> new Thread(r, "test-timer"));

    @AfterEach
    void close() {
        timers.shutdownNow();
        vertx.close();
    }

    @Test
    void aTimerSetOnAnEventLoopFiresOnThatLoopInTheSameContext() throws Exception {
        Context context = vertx.getOrCreateContext();
        CompletableFuture<Thread> scheduledOn = new CompletableFuture<>();
        CompletableFuture<Thread> firedOn = new CompletableFuture<>();
        CompletableFuture<Context> firedIn = new CompletableFuture<>();
        context.runOnContext(v -> {
            scheduledOn.complete(Thread.currentThread());
            timers.schedule(() -> {
                firedOn.complete(Thread.currentThread());
                firedIn.complete(Vertx.currentContext());
            }, 5, TimeUnit.MILLISECONDS);
        });
        assertSame(scheduledOn.get(5, TimeUnit.SECONDS), firedOn.get(5, TimeUnit.SECONDS));
        assertSame(context, firedIn.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aCancelledEventLoopTimerNeverFires() throws Exception {
        Context context = vertx.getOrCreateContext();
        CountDownLatch fired = new CountDownLatch(1);
        CompletableFuture<ScheduledFuture<?>> timer = new CompletableFuture<>();
        context.runOnContext(v ->
                timer.complete(timers.schedule(fired::countDown, 200, TimeUnit.MILLISECONDS)));
        assertTrue(timer.get(5, TimeUnit.SECONDS).cancel(false));  // from another thread, as FanOut may
        // a later timer on the same loop fires; the cancelled one, due before it, would have fired first
        CountDownLatch later = new CountDownLatch(1);
        context.runOnContext(v -> timers.schedule(later::countDown, 400, TimeUnit.MILLISECONDS));
        assertTrue(later.await(5, TimeUnit.SECONDS));
        assertEquals(1, fired.getCount());
    }

    @Test
    void offAnEventLoopTimersAndHandOversRunOnThePoolsThreads() throws Exception {
        CompletableFuture<String> timerThread = new CompletableFuture<>();
        timers.schedule(() -> timerThread.complete(Thread.currentThread().getName()), 1, TimeUnit.MILLISECONDS);
        assertEquals("test-timer", timerThread.get(5, TimeUnit.SECONDS));
        CompletableFuture<String> handedTo = new CompletableFuture<>();
        timers.execute(() -> handedTo.complete(Thread.currentThread().getName()));
        assertEquals("test-timer", handedTo.get(5, TimeUnit.SECONDS));
    }

    @Test
    void aHandOverOnAnEventLoopRunsAfterTheCurrentTaskOnTheSameLoop() throws Exception {
        CompletableFuture<Boolean> ranInside = new CompletableFuture<>();
        CompletableFuture<Thread> loop = new CompletableFuture<>();
        CompletableFuture<Thread> ranOn = new CompletableFuture<>();
        vertx.getOrCreateContext().runOnContext(v -> {
            loop.complete(Thread.currentThread());
            boolean[] returned = {false};
            timers.execute(() -> {
                ranInside.complete(!returned[0]);
                ranOn.complete(Thread.currentThread());
            });
            returned[0] = true;
        });
        assertFalse(ranInside.get(5, TimeUnit.SECONDS), "ran inside the caller's task");
        assertSame(loop.get(5, TimeUnit.SECONDS), ranOn.get(5, TimeUnit.SECONDS));
    }
}
