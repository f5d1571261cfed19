package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.fixture.FakeBackend;

/**
 * One provider, {@code rep}, with three replicas of the same model: the fake backends A, B and C. Calls spread by
 * load (fewest in flight, then recent latency), a slow replica gets fewer, a failing one none once its breaker has
 * opened, and one removed by a configuration edit gets no new calls while its calls in flight finish.
 */
class ReplicasTest extends ResilienceTestSupport {

    private static final String MODEL = "rep:1";
    private static final int CONCURRENCY = 6;

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=30000
                pool.providers.rep.url=%s, %s, %s
                pool.providers.rep.model=rep:1
                pool.providers.rep.max-concurrency=8
                pool.providers.rep.breaker.minimum-calls=2
                pool.providers.rep.breaker.sliding-window-size=4
                pool.providers.rep.breaker.wait-in-open-seconds=600
                pool.tasks.rep.providers=rep
                pool.tasks.rep.strategy=FASTEST
                pool.tasks.rep.deadline-ms=20000
                pool.tasks.rep.prompt=prompts/expand_queries.md
                """.formatted(A.url(), B.url(), C.url());
    }

    @Override
    protected void setupResources() throws Exception {
        super.setupResources();
        for (FakeBackend b : List.of(A, B, C)) {
            b.model(MODEL).answer("same model").latency(Duration.ofMillis(20));
        }
    }

    @Test
    void equalReplicasShareTheCallsAndHealthListsThem() {
        List<HttpResponse<String>> answers = callConcurrently(300, CONCURRENCY);
        answers.forEach(r -> assertEquals(200, r.statusCode(), r.body()));
        int a = A.calls(MODEL);
        int b = B.calls(MODEL);
        int c = C.calls(MODEL);
        assertEquals(300, a + b + c);
        for (int n : List.of(a, b, c)) {
            assertTrue(n <= 135, "no replica gets more than 45% of 300 calls: " + List.of(a, b, c));
        }
        JsonNode replicas = provider(health(), "rep").path("replicas");
        assertEquals(3, replicas.size(), replicas.toString());
        assertEquals(A.url(), replicas.get(0).path("url").asText());
        assertTrue(replicas.get(0).path("usable").asBoolean(), replicas.toString());
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("llmpool_replica_inflight{provider=\"rep\",replica=\"" + C.url() + "\"}"), metrics);
        assertTrue(metrics.contains("llmpool_replica_usable{provider=\"rep\",replica=\"" + C.url() + "\"} 1.0"), metrics);
    }

    @Test
    void aSlowReplicaGetsFewerCalls() {
        C.model(MODEL).latency(Duration.ofMillis(400));
        callConcurrently(90, CONCURRENCY).forEach(r -> assertEquals(200, r.statusCode(), r.body()));
        int a = A.calls(MODEL);
        int b = B.calls(MODEL);
        int c = C.calls(MODEL);
        assertTrue(c < a && c < b, "the slow replica C gets fewer calls than A and B: " + List.of(a, b, c));
    }

    @Test
    void aFailingReplicaGetsNoCallsOnceItsBreakerOpens() {
        C.model(MODEL).failWith(500, "{\"error\":\"llama runner process has terminated\"}");
        assertTrue(eventually(Duration.ofSeconds(20), () -> {
            infer("rep", "");
            return guards().replicas("rep").get(2).breaker().getState().name().equals("OPEN");
        }), "C's breaker opens");
        int before = C.calls(MODEL);
        callConcurrently(60, CONCURRENCY).forEach(r -> assertEquals(200, r.statusCode(), r.body()));
        assertEquals(before, C.calls(MODEL), "no call reaches C once its breaker is open");
        JsonNode c = provider(health(), "rep").path("replicas").get(2);
        assertEquals("OPEN", c.path("circuit").asText(), c.toString());
        assertTrue(!c.path("usable").asBoolean(), c.toString());
        assertEquals("CLOSED", circuit("rep"), "the provider is usable while a replica is");
    }

    @Test
    void aReplicaRemovedByAnEditGetsNoNewCallsWhileItsCallsInFlightFinish() throws Exception {
        CountDownLatch release = holdAnswers(C, MODEL, "held by C");
        List<CompletableFuture<HttpResponse<String>>> first = new ArrayList<>();
        for (int i = 0; i < CONCURRENCY; i++) {
            first.add(inferAsync(i));
        }
        assertTrue(eventually(Duration.ofSeconds(10), () -> C.inFlight(MODEL) > 0), "a call is in flight on C");
        writeConfig(Files.readString(configFile).replace(", " + C.url() + "\n", "\n"));
        assertTrue(eventually(Duration.ofSeconds(10), () -> guards().replicas("rep").size() == 2), "C is removed");
        int onC = C.calls(MODEL);
        callConcurrently(30, CONCURRENCY).forEach(r -> assertEquals(200, r.statusCode(), r.body()));
        assertEquals(onC, C.calls(MODEL), "no new call reaches the removed replica");
        release.countDown();
        for (CompletableFuture<HttpResponse<String>> f : first) {
            HttpResponse<String> r = f.get();
            assertEquals(200, r.statusCode(), "a call in flight on the removed replica finishes: " + r.body());
        }
    }

    private CompletableFuture<HttpResponse<String>> inferAsync(int i) {
        String body = "{\"task\":\"rep\",\"prompt\":\"p" + i + "\",\"cache\":false}";
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * {@code total} calls from {@code concurrency} callers, each sending its next call as soon as its last is answered
     * (as steady load does: a fast replica frees its slot sooner and gets the next call), each with its own prompt.
     */
    private List<HttpResponse<String>> callConcurrently(int total, int concurrency) {
        List<HttpResponse<String>> all = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        List<CompletableFuture<Void>> callers = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            callers.add(CompletableFuture.runAsync(() -> {
                for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                    all.add(inferAsync(i).join());
                }
            }, java.util.concurrent.Executors.newSingleThreadExecutor()));
        }
        callers.forEach(CompletableFuture::join);
        return all;
    }
}
