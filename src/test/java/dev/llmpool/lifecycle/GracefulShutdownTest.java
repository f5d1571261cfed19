package dev.llmpool.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.fixture.FakeBackend;
import dev.llmpool.fixture.PoolProcess;

/**
 * SIGTERM to the real process (issue 21's proof): 50 requests in flight on a backend that answers 1 s after the
 * grace period all answer 200, readiness turns 503 at once, new connections fail after the grace period, and the process exits 0 before
 * the grace period plus the longest deadline plus 1 s. A second SIGTERM ends it at once.
 */
class GracefulShutdownTest {

    private static final long GRACE_MS = 1500;
    private static final long MAX_DEADLINE_MS = 15000;
    private static final int CALLS = 50;
    private static final FakeBackend BACKEND = FakeBackend.start();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @AfterAll
    static void stopBackend() {
        BACKEND.close();
    }

    @BeforeEach
    void models() {
        BACKEND.resetAll();
        BACKEND.model("phi3:mini").answer("phi3 says hello").latency(Duration.ofSeconds(1));
        BACKEND.model("llama3.1:8b").answer("llama says hello");
        BACKEND.model("gemma2:9b").answer("gemma says hello");
    }

    private static PoolProcess startPool() throws Exception {
        return PoolProcess.start(PoolProcess.backends(BACKEND, BACKEND, BACKEND) + """

                pool.shutdown.grace-ms=%d
                pool.limits.max-deadline-ms=%d
                pool.providers.phi3.max-concurrency=%d
                pool.health.timeout-ms=5000
                """.formatted(GRACE_MS, MAX_DEADLINE_MS, CALLS));
    }

    private static HttpRequest inferRequest(PoolProcess pool, String prompt) {
        // enrich_metadata: phi3 only; a prompt each, so that none is coalesced with another
        String body = "{\"task\":\"enrich_metadata\",\"prompt\":\"" + prompt + "\",\"deadline_ms\":" + MAX_DEADLINE_MS + "}";
        return HttpRequest.newBuilder(URI.create(pool.url() + "/v1/infer")).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /**
     * 50 requests, all at the backend when this returns: each answers {@code GRACE_MS} + 1 s after {@code release}
     * opens, so that they are still in flight once the port takes no new connection (a freshly started JVM on a
     * loaded machine takes its time to let 50 through, so a fixed latency alone would not keep them all in flight
     * at once).
     */
    private static List<CompletableFuture<HttpResponse<String>>> callsInFlight(PoolProcess pool, CountDownLatch release)
            throws Exception {
        HttpResponse<String> first = HTTP.send(inferRequest(pool, "warm-up"), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, first.statusCode(), first.body());
        BACKEND.model("phi3:mini").answer(request -> {
            try {
                release.await(30, TimeUnit.SECONDS);
                Thread.sleep(GRACE_MS + 1000);  // still answering once new connections are refused
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "phi3 says hello";
        });
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            calls.add(HTTP.sendAsync(inferRequest(pool, "question " + i), HttpResponse.BodyHandlers.ofString()));
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (BACKEND.inFlight("phi3:mini") < CALLS && System.nanoTime() < until) {
            LockSupport.parkNanos(5_000_000);
        }
        assertEquals(CALLS, BACKEND.inFlight("phi3:mini"), () -> "every request is at the backend; the calls: "
                + calls.stream().map(c -> c.isDone() ? c.handle((r, e) -> e != null ? e.toString() : "status "
                + r.statusCode()).join() : "pending").toList() + "\n" + pool.logTail());
        return calls;
    }

    private static long msSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void sigtermLetsEveryRequestInFlightFinishThenExitsZero() throws Exception {
        try (PoolProcess pool = startPool()) {
            CountDownLatch release = new CountDownLatch(1);
            List<CompletableFuture<HttpResponse<String>>> calls = callsInFlight(pool, release);
            long t0 = System.nanoTime();
            pool.sigterm();
            release.countDown();

            FreshConnection.Reply ready = FreshConnection.get(pool.port, "/health/ready");
            while (ready.status() == 200 && msSince(t0) < GRACE_MS) { // the signal takes a moment to be handled
                LockSupport.parkNanos(5_000_000);
                ready = FreshConnection.get(pool.port, "/health/ready");
            }
            long readyMs = msSince(t0);
            assertEquals(503, ready.status(), ready.body());
            assertTrue(readyMs < GRACE_MS, "readiness turned 503 at once, not after " + readyMs + " ms");
            assertEquals(200, FreshConnection.get(pool.port, "/health/live").status(), "alive while draining");

            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!FreshConnection.fails(pool.port, "/health/live") && System.nanoTime() < until) {
                LockSupport.parkNanos(10_000_000);
            }
            long refusedMs = msSince(t0);
            assertTrue(refusedMs >= GRACE_MS && refusedMs < GRACE_MS + MAX_DEADLINE_MS,
                    "new connections fail after the grace period: " + refusedMs + " ms");

            for (CompletableFuture<HttpResponse<String>> call : calls) {
                HttpResponse<String> r = call.get(30, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
            }
            long limitMs = GRACE_MS + MAX_DEADLINE_MS + 1000;
            assertTrue(pool.waitFor(Duration.ofMillis(limitMs + 5000)), "the process ended: " + pool.logTail());
            long exitMs = msSince(t0);
            assertEquals(0, pool.exitValue(), pool.logTail());
            assertTrue(exitMs < limitMs, "exited " + exitMs + " ms after SIGTERM; the bound is " + limitMs + " ms");
            assertEquals(1, pool.logLines("event=shutdown_complete status=0").size(), pool.logTail());
            System.out.printf("graceful shutdown: ready 503 after %d ms, new connections fail after %d ms, exit 0 after"
                    + " %d ms (grace %d ms)%n", readyMs, refusedMs, exitMs, GRACE_MS);
        }
    }

    @Test
    void aSecondSigtermEndsTheProcessAtOnce() throws Exception {
        try (PoolProcess pool = startPool()) {
            CountDownLatch release = new CountDownLatch(1);  // never opened: the answers are still due at the end
            callsInFlight(pool, release);
            pool.sigterm();
            assertTrue(eventuallyLogged(pool, "event=shutdown_started"), pool.logTail());
            long t0 = System.nanoTime();
            pool.sigterm();
            assertTrue(pool.waitFor(Duration.ofSeconds(5)), "the second SIGTERM ended it: " + pool.logTail());
            assertEquals(GracefulShutdown.FORCED_EXIT, pool.exitValue());
            assertTrue(msSince(t0) < GRACE_MS, "at once, not after the grace period: " + msSince(t0) + " ms");
            assertEquals(1, pool.logLines("event=shutdown_forced reason=\"second SIGTERM\"").size(), pool.logTail());
        }
    }

    private static boolean eventuallyLogged(PoolProcess pool, String text) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < until) {
            if (!pool.logLines(text).isEmpty()) {
                return true;
            }
            LockSupport.parkNanos(10_000_000);
        }
        return false;
    }
}
