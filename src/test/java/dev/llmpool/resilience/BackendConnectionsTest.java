package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

/**
 * Issue 16.7: the pool never holds more connections to a backend than it may send calls to it (max-concurrency, plus
 * a health check), and closes idle ones after pool.http.idle-timeout-ms, so an engine that pins one of its few HTTP
 * threads per open connection (a {@link PinningServer}: 5 threads, idle connections kept 10 s) is never starved:
 * bursts of 16 requests over 4 slots, with pauses shorter than the idle timeout between them, are all answered
 * without waiting for a pinned thread.
 */
class BackendConnectionsTest extends ResilienceTestSupport {

    private static final PinningServer ENGINE = start();
    private static final int BURST = 16;

    private static PinningServer start() {
        try {
            return new PinningServer("pinned:1", 5, 50, 10_000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=30000
                pool.providers.pinned.url=%s
                pool.providers.pinned.model=pinned:1
                pool.providers.pinned.max-concurrency=4
                pool.tasks.pinned.providers=pinned
                pool.tasks.pinned.strategy=FASTEST
                pool.tasks.pinned.deadline-ms=20000
                pool.tasks.pinned.prompt=prompts/expand_queries.md
                """.formatted(ENGINE.url());
    }

    @Test
    void burstsNeverOpenMoreConnectionsThanTheEngineHasThreadsAndIdleOnesClose() throws Exception {
        for (int burst = 0; burst < 3; burst++) {
            long started = System.nanoTime();
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                calls.add(send("b" + burst + "-" + i));
            }
            for (CompletableFuture<HttpResponse<String>> c : calls) {
                HttpResponse<String> r = c.join();
                assertEquals(200, r.statusCode(), r.body());
            }
            long ms = (System.nanoTime() - started) / 1_000_000;
            // 4 waves of 50 ms; a request stuck behind a pinned thread would wait for its 10 s keep-alive to end
            assertTrue(ms < 4000, "burst " + burst + " took " + ms + " ms");
            Thread.sleep(300); // idle, but not for long enough to be closed
        }
        assertEquals(3 * BURST, ENGINE.chats());
        assertTrue(ENGINE.peak() <= 5, "at most max-concurrency connections plus a health check: " + ENGINE.peak());
        // the pool closes them (1 s idle, found by a cleaner that looks every second), long before the engine would
        assertTrue(eventually(Duration.ofSeconds(4), () -> ENGINE.open() == 0),
                "idle connections are closed after pool.http.idle-timeout-ms: " + ENGINE.open() + " still open");
    }

    private CompletableFuture<HttpResponse<String>> send(String prompt) {
        String body = "{\"task\":\"pinned\",\"prompt\":\"" + prompt + "\",\"cache\":false}";
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
