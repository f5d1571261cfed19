package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

/**
 * Fair admission: requests that find their provider at max-concurrency wait their turn, first come, first served,
 * within their deadline. The deadline here is 10 s, not the 2 s: the test's 100 callers, the service and the
 * fake backends share one JVM on a loaded two-core machine, and the test is about order and status, not speed.
 */
class AdmissionTest extends ResilienceTestSupport {

    private static final int CALLERS = 100;
    /** How far (in places) an answer may come out of its arrival order: the callers' own sends are not in lockstep. */
    private static final int ORDER_TOLERANCE = 20;
    /** Callers whose connection was slow to open arrive late: a few may be further out of place. */
    private static final int MAX_OUT_OF_ORDER = 5;

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=30000
                pool.providers.solo.url=%s
                pool.providers.solo.model=solo:1
                pool.providers.solo.max-concurrency=4
                pool.tasks.queue.providers=solo
                pool.tasks.queue.strategy=FASTEST
                pool.tasks.queue.deadline-ms=10000
                pool.tasks.queue.prompt=prompts/expand_queries.md
                pool.providers.tight.url=%s
                pool.providers.tight.model=tight:1
                pool.providers.tight.max-concurrency=4
                pool.providers.tight.queue-size=10
                pool.tasks.tight.providers=tight
                pool.tasks.tight.strategy=FASTEST
                pool.tasks.tight.deadline-ms=10000
                pool.tasks.tight.prompt=prompts/expand_queries.md
                """.formatted(A.url(), B.url());
    }

    @Override
    protected void setupResources() throws Exception {
        super.setupResources();
        A.model("solo:1").answer("solo").latency(Duration.ofMillis(20));
        B.model("tight:1").answer("tight");
    }

    @Test
    void aBurstWaitsItsTurnAndEveryRequestIsAnsweredInArrivalOrder() {
        ConcurrentLinkedQueue<Integer> finished = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
            int caller = i;
            calls.add(send("queue", "p" + i, null).whenComplete((r, e) -> finished.add(caller)));
            // 2 ms apart (arrivals at 500/s, answers at 200/s: the queue still grows to most of the burst), so that
            // the order the callers send in is the order the pool receives in, but for the odd slow connection
            java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.join();
            assertEquals(200, r.statusCode(), r.body());
        }
        List<Integer> order = List.copyOf(finished);
        int outOfOrder = 0;
        for (int place = 0; place < order.size(); place++) {
            if (Math.abs(order.get(place) - place) > ORDER_TOLERANCE) {
                outOfOrder++;
            }
        }
        assertTrue(outOfOrder <= MAX_OUT_OF_ORDER, "answered in arrival order within " + ORDER_TOLERANCE
                + " places but for " + MAX_OUT_OF_ORDER + ", " + outOfOrder + " were not: " + order);
        assertTrue(A.calls("solo:1") == CALLERS, "one backend call per request");
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("llmpool_provider_queue_wait_seconds_count{provider=\"solo\"}"), metrics);
        assertTrue(metrics.contains("llmpool_provider_queue_length{provider=\"solo\"} 0.0"), metrics);
    }

    @Test
    void aFullQueueAnswers503AtOnceAndTheQueuedAreServedLater() throws Exception {
        CountDownLatch release = holdAnswers(B, "tight:1", "tight");
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            calls.add(send("tight", "t" + i, null));
        }
        try {
            // 4 in flight, 10 waiting: the other 16 are refused while the backend still holds every answer
            assertTrue(eventually(Duration.ofSeconds(15), () -> calls.stream().filter(c -> c.isDone()
                    && c.join().statusCode() == 503).count() == 16), "16 requests get 503 at once");
            // the 4 holding a slot may still be on their way to the backend (a connection being opened)
            assertTrue(eventually(Duration.ofSeconds(5), () -> B.inFlight("tight:1") == 4),
                    "4 in flight at the backend, not " + B.inFlight("tight:1"));
            assertEquals(10, guards().queueLength("tight"));
            HttpResponse<String> refused = calls.stream().filter(CompletableFuture::isDone).findFirst().orElseThrow().join();
            assertEquals("busy: max-concurrency calls already in flight", reason(refused, "tight"), refused.body());
        } finally {
            release.countDown();
        }
        long ok = calls.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 200).count();
        assertEquals(14, ok, "the 4 in flight and the 10 queued are answered");
    }

    @Test
    void aWaiterWhoseDeadlinePassesGets504AndLeavesTheQueue() throws Exception {
        CountDownLatch release = holdAnswers(B, "tight:1", "tight");
        List<CompletableFuture<HttpResponse<String>>> holders = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            holders.add(send("tight", "h" + i, null));
        }
        try {
            assertTrue(eventually(Duration.ofSeconds(10), () -> B.inFlight("tight:1") == 4), "every slot taken");
            CompletableFuture<HttpResponse<String>> waiter = send("tight", "late", 800L);
            assertTrue(eventually(Duration.ofSeconds(5), () -> guards().queueLength("tight") == 1 || waiter.isDone()));
            HttpResponse<String> r = waiter.join();
            assertEquals(504, r.statusCode(), r.body());
            assertTrue(eventually(Duration.ofSeconds(5), () -> guards().queueLength("tight") == 0), "it left the queue");
        } finally {
            release.countDown();
        }
        holders.forEach(h -> assertEquals(200, h.join().statusCode()));
        assertEquals(4, B.calls("tight:1"), "the one that gave up never reached the backend");
    }

    private CompletableFuture<HttpResponse<String>> send(String task, String prompt, Long deadlineMs) {
        String body = "{\"task\":\"" + task + "\",\"prompt\":\"" + prompt + "\",\"cache\":false"
                + (deadlineMs == null ? "" : ",\"deadline_ms\":" + deadlineMs) + "}";
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
