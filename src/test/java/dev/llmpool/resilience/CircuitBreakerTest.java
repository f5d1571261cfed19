package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;

/**
 * Each provider's Resilience4j circuit breaker (the circuitBreaker EIP of its route): failures and slow calls
 * open it, an open provider is left out at once, half-open lets probes through, a recovered backend closes it,
 * and /health reports it. The breakers here decide after 2 calls; an open one stays open until the test makes it
 * probe again (FaultInjectionTest's flapping provider comes back after the timed wait).
 */
class CircuitBreakerTest extends ResilienceTestSupport {

    @Override
    protected String extraConfig() {
        return SMALL_BREAKERS + """
                pool.tasks.pair.providers=phi3,llama31
                pool.tasks.pair.strategy=FASTEST
                pool.tasks.pair.prompt=prompts/expand_queries.md
                pool.limits.max-deadline-ms=10000
                pool.tasks.solo_gemma.providers=gemma2
                pool.tasks.solo_gemma.prompt=prompts/expand_queries.md
                pool.providers.gemma2.breaker.slow-call-seconds=1
                pool.providers.gemma2.breaker.slow-call-rate-threshold=50
                """;
    }

    private void openPhi3() {
        A.model("phi3:mini").failWith(500, "{\"error\":\"llama runner process has terminated\"}");
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = infer("pair", "");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("llama31", json(r).path("winner_provider").asText(), "the next provider answers");
        }
        awaitCircuit("phi3", "OPEN");
    }

    @Test
    void failuresOpenTheBreakerAndTheOpenProviderIsLeftOutAtOnce() {
        openPhi3();
        int callsWhenOpened = A.calls("phi3:mini");
        HttpResponse<String> r = infer("pair", "");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("llama31", json(r).path("winner_provider").asText());
        assertEquals(callsWhenOpened, A.calls("phi3:mini"), "no call reaches a provider whose breaker is open");
        assertEquals("[\"llama3.1:8b\"]", json(r).path("models_queried").toString());

        JsonNode health = health();
        assertEquals("DEGRADED", health.path("status").asText(), "other tasks can still be served: " + health);
        assertEquals("DOWN", task(health, "enrich_metadata").path("status").asText(), "it has only phi3: " + health);
        JsonNode phi3 = provider(health, "phi3");
        assertEquals("OPEN", phi3.path("circuit").asText());
        assertEquals("UP", phi3.path("status").asText(), "its health check still passes");
        assertEquals("HTTP 500: llama runner process has terminated", phi3.path("last_error").asText());
    }

    @Test
    void aTaskWhoseOnlyProviderIsOpenGets503AtOnceAndIsDownInHealth() {
        openPhi3();
        long t0 = System.nanoTime();
        HttpResponse<String> r = infer("enrich_metadata", "");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(503, r.statusCode(), r.body());
        assertEquals("no_provider_available", json(r).path("error").path("code").asText());
        assertEquals("circuit breaker open", reason(r, "phi3"));
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
        assertTrue(ms < 5000, "no waiting on an open provider (the deadline is 10 s), took " + ms + " ms");
        HttpResponse<String> h = get("/health");
        assertEquals(200, h.statusCode(), "other tasks can still be served (contract, Deployment): " + h.body());
        assertEquals("DEGRADED", json(h).path("status").asText());
        assertEquals("DOWN", task(json(h), "enrich_metadata").path("status").asText(), h.body());
    }

    @Test
    void halfOpenProbeClosesTheBreakerOnceTheBackendRecovered() {
        openPhi3();
        A.model("phi3:mini").reset();
        probeAgainNow("phi3");
        awaitCircuit("phi3", "HALF_OPEN");
        assertEquals("UP", health().path("status").asText(), "a half-open provider is usable (for its probes)");
        HttpResponse<String> r = infer("pair", "");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("phi3", json(r).path("winner_provider").asText(), "the probe went to phi3 and succeeded");
        assertEquals("CLOSED", circuit("phi3"));
        assertNull(provider(health(), "phi3").path("last_error").textValue());
    }

    @Test
    void failedProbeOpensTheBreakerAgain() {
        openPhi3();
        probeAgainNow("phi3");
        awaitCircuit("phi3", "HALF_OPEN");
        int before = A.calls("phi3:mini");
        HttpResponse<String> r = infer("pair", "");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("llama31", json(r).path("winner_provider").asText());
        assertEquals(before + 1, A.calls("phi3:mini"), "one probe reached the backend");
        assertEquals("OPEN", circuit("phi3"));
    }

    @Test
    void halfOpenLetsOnlyItsProbeThroughAndOthersMoveOnAtOnce() throws Exception {
        openPhi3();
        A.model("phi3:mini").reset();
        CountDownLatch release = holdAnswers(A, "phi3:mini", "phi3 says hello"); // the probe runs until released
        probeAgainNow("phi3");
        awaitCircuit("phi3", "HALF_OPEN");
        var probeArrived = A.onCall("phi3:mini");
        CompletableFuture<HttpResponse<String>> probe = CompletableFuture.supplyAsync(() -> infer("pair", ""));
        HttpResponse<String> other;
        try {
            assertTrue(probeArrived.await(5, TimeUnit.SECONDS));
            other = infer("pair", "");
        } finally {
            release.countDown();
        }
        assertEquals(200, other.statusCode(), other.body());
        assertEquals("llama31", json(other).path("winner_provider").asText(), "refused by the half-open breaker");
        HttpResponse<String> first = probe.get(20, TimeUnit.SECONDS);
        assertEquals("phi3", json(first).path("winner_provider").asText(), first.body());
        assertEquals("CLOSED", circuit("phi3"));
    }

    @Test
    void slowCallsOpenTheBreakerThoughTheyAnswer() {
        C.model("gemma2:9b").latency(Duration.ofMillis(1600)); // its slow-call-seconds=1; deadline 10 s
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = infer("solo_gemma", "");
            assertEquals(200, r.statusCode(), r.body());
        }
        awaitCircuit("gemma2", "OPEN");
        assertEquals("slow calls: 100% took over 1 s (slow-call-seconds)",
                provider(health(), "gemma2").path("last_error").asText());
        assertEquals(503, infer("solo_gemma", "").statusCode(), "an open breaker is left out, slow or failing");
    }

    @Test
    void aBusyProviderIsSkippedNotCountedAsAFailure() throws Exception {
        // no wait for a slot (unset, a call would queue up to its deadline: AdmissionTest)
        writeConfig(Files.readString(configFile)
                + "\npool.providers.phi3.max-concurrency=1\npool.providers.phi3.max-concurrency-wait-ms=0\n");
        awaitBulkhead("phi3", 1);
        CountDownLatch release = holdAnswers(A, "phi3:mini", "phi3 says hello"); // holds phi3's one slot until released
        var arrived = A.onCall("phi3:mini");
        CompletableFuture<HttpResponse<String>> holder = CompletableFuture.supplyAsync(
                () -> infer("enrich_metadata", ""));
        try {
            assertTrue(arrived.await(5, TimeUnit.SECONDS));
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> pair = infer("pair", "");
                assertEquals(200, pair.statusCode(), pair.body());
                assertEquals("llama31", json(pair).path("winner_provider").asText(), "phi3 is full: the next one answers");
            }
            HttpResponse<String> single = infer("enrich_metadata", "");
            assertEquals(503, single.statusCode(), single.body());
            assertEquals("busy: max-concurrency calls already in flight", reason(single, "phi3"));
            assertEquals(1, A.calls("phi3:mini"), "no call beyond max-concurrency reached the backend");
        } finally {
            release.countDown();
        }
        assertEquals(200, holder.get(20, TimeUnit.SECONDS).statusCode());
        assertEquals("CLOSED", circuit("phi3"), "five refused calls did not open the breaker");
    }

    @Test
    void aFullProviderCanBeWaitedForABoundedTime() throws Exception {
        writeConfig(Files.readString(configFile)
                + "\npool.providers.phi3.max-concurrency=1\npool.providers.phi3.max-concurrency-wait-ms=3000\n");
        awaitBulkhead("phi3", 1);
        A.model("phi3:mini").latency(Duration.ofMillis(300));
        var arrived = A.onCall("phi3:mini");
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(
                () -> infer("enrich_metadata", ""));
        assertTrue(arrived.await(5, TimeUnit.SECONDS));
        HttpResponse<String> second = infer("enrich_metadata", "");
        assertEquals(200, second.statusCode(), "waited for the slot: " + second.body());
        assertEquals(200, first.get(10, TimeUnit.SECONDS).statusCode());
        assertEquals(2, A.calls("phi3:mini"));

        // Now the slot stays taken until the test releases it, however long the bounded wait takes on a slow machine.
        A.model("phi3:mini").reset();
        CountDownLatch release = holdAnswers(A, "phi3:mini", "phi3 says hello");
        var held = A.onCall("phi3:mini");
        CompletableFuture<HttpResponse<String>> holder = CompletableFuture.supplyAsync(
                () -> infer("enrich_metadata", ""));
        try {
            assertTrue(held.await(5, TimeUnit.SECONDS));
            HttpResponse<String> waited = infer("enrich_metadata", "");
            assertEquals(503, waited.statusCode(), "the wait is bounded: " + waited.body());
            assertEquals("busy: max-concurrency calls already in flight", reason(waited, "phi3"));
        } finally {
            release.countDown();
        }
        assertEquals(200, holder.get(20, TimeUnit.SECONDS).statusCode());
        assertEquals(3, A.calls("phi3:mini"), "the refused request never reached the backend");
    }

    @Test
    void aChangedBreakerSettingRebuildsTheProviderRouteOnReload() throws Exception {
        openPhi3();
        assertEquals(2, minimumCalls("phi3"));
        writeConfig(Files.readString(configFile)
                .replace("pool.providers.phi3.breaker.minimum-calls=2", "pool.providers.phi3.breaker.minimum-calls=6")
                .replace("pool.providers.phi3.breaker.sliding-window-size=4", "pool.providers.phi3.breaker.sliding-window-size=10")
                + "\npool.providers.phi3.max-concurrency=7\n");
        assertTrue(eventually(Duration.ofSeconds(10), () -> minimumCalls("phi3") == 6));
        awaitBulkhead("phi3", 7);
        awaitCircuit("phi3", "CLOSED"); // a new breaker
        for (int i = 0; i < 4; i++) {
            assertEquals("llama31", json(infer("pair", "")).path("winner_provider").asText());
        }
        assertEquals("CLOSED", circuit("phi3"), "four failures are fewer than the new minimum of six calls");
        assertEquals(2 + 4, A.calls("phi3:mini"));
    }

    /** The breaker the provider's route uses (the registry's), as configured from pool.providers.<name>.breaker.*. */
    private int minimumCalls(String provider) {
        return context.getRegistry().findSingleByType(CircuitBreakerRegistry.class).find("breaker-" + provider)
                .map(cb -> cb.getCircuitBreakerConfig().getMinimumNumberOfCalls()).orElse(-1);
    }

    /** The bulkhead the provider's route guard (policy node breaker-<name>) uses. */
    private void awaitBulkhead(String provider, int max) {
        assertTrue(eventually(Duration.ofSeconds(10), () -> guards().bulkhead(provider) != null
                && guards().bulkhead(provider).getBulkheadConfig().getMaxConcurrentCalls() == max));
    }
}
