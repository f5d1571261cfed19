package dev.llmpool.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * /health/live and /health/ready (Camel's health checks), and the graceful shutdown they announce, run in this JVM:
 * readiness 503 at once, requests still served during the grace period, then no new connection, the requests in
 * flight answered, and the end reported with status 0. (GracefulShutdownIT does the same to the real process with
 * SIGTERM.)
 */
class HealthProbesTest extends PoolTestSupport {

    private static final long GRACE_MS = 1500;

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.shutdown.grace-ms", String.valueOf(GRACE_MS));
        return p;
    }

    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=10000\npool.providers.phi3.max-concurrency=32\n";
    }

    @Test
    void liveAndReadyAreUpOnARunningPoolWithCamelsChecksListed() {
        HttpResponse<String> live = get("/health/live");
        assertEquals(200, live.statusCode(), live.body());
        assertEquals("UP", json(live).path("status").asText());
        HttpResponse<String> ready = get("/health/ready");
        assertEquals(200, ready.statusCode(), ready.body());
        List<String> checks = new ArrayList<>();
        json(ready).path("checks").forEach(c -> checks.add(c.path("name").asText()));
        assertTrue(checks.contains("pool") && checks.contains("context"), checks.toString());
        assertTrue(checks.contains("route:infer"), "each route is checked: " + checks);
        for (String path : List.of("/health/live", "/health/ready")) {
            assertEquals("application/json", get(path).headers().firstValue("Content-Type").orElse(""));
        }
    }

    @Test
    void readinessIsNotDecidedByProviderHealth() {
        A.stop();
        B.stop();
        C.stop();
        try {
            assertTrue(eventually(Duration.ofSeconds(15), () -> get("/health").statusCode() == 503),
                    "no task can be served");
            assertEquals(200, get("/health/ready").statusCode(), "a dead backend is every instance's: stay in service");
            assertEquals(200, get("/health/live").statusCode());
        } finally {
            A.restart();
            B.restart();
            C.restart();
        }
    }

    @Test
    void shutdownTurnsReadinessDownAtOnceThenDrainsAndAnswersEveryRequestInFlight() throws Exception {
        A.model("phi3:mini").latency(Duration.ofSeconds(1));
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String body = "{\"task\":\"enrich_metadata\",\"prompt\":\"in flight " + i + "\"}"; // no two coalesce
            calls.add(CompletableFuture.supplyAsync(() -> infer(body)));
        }
        assertTrue(eventually(Duration.ofSeconds(10), () -> A.inFlight("phi3:mini") == 10), "all 10 reached phi3");
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        long t0 = System.nanoTime();
        context.getRegistry().lookupByNameAndType("gracefulShutdown", GracefulShutdown.class).begin(exit::complete);

        FreshConnection.Reply ready = FreshConnection.get(port, "/health/ready");
        assertEquals(503, ready.status(), ready.body());
        assertTrue(ready.body().contains("shutting down"), ready.body());
        assertEquals(200, FreshConnection.get(port, "/health/live").status(), "still alive while draining");
        assertTrue(elapsedMs(t0) < GRACE_MS, "these were answered within the grace period");

        assertTrue(eventually(Duration.ofSeconds(10), () -> FreshConnection.fails(port, "/health/live")), "new connections fail");
        assertTrue(elapsedMs(t0) >= GRACE_MS, "not before the grace period: " + elapsedMs(t0) + " ms");
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            HttpResponse<String> r = call.get(15, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
        }
        assertEquals(0, exit.get(15, TimeUnit.SECONDS));
        assertTrue(context.isStopped());
    }

    private static long elapsedMs(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
