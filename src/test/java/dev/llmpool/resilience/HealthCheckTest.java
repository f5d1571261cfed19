package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Background health checks (every 300 ms here): a provider that is down, or no longer lists its model, is left
 * out of selection until a later check finds it back; /health is UP, DEGRADED with 200 (some provider or task
 * unusable, some task still served) or DOWN with 503 (no task can be served), with each provider's last_error and
 * each task's status (contract, "Deployment").
 */
class HealthCheckTest extends ResilienceTestSupport {

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.health.interval-ms", "300");
        return p;
    }

    /** No hedge (the winner says which providers were usable) and a deadline far from the bounds below. */
    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=10000
                pool.tasks.expand_queries.hedge-after-ms=10000
                pool.providers.gemma_openai.url=%s
                pool.providers.gemma_openai.kind=openai
                pool.providers.gemma_openai.model=gemma2:9b
                pool.tasks.openai_only.providers=gemma_openai,llama31
                pool.tasks.openai_only.prompt=prompts/expand_queries.md
                pool.providers.twin.url=%s, %s
                pool.providers.twin.model=twin:1
                pool.tasks.twin.providers=twin
                pool.tasks.twin.prompt=prompts/expand_queries.md
                """.formatted(C.url(), A.url(), B.url());
    }

    /** The twin provider's model on both of its replicas (A and B). */
    @Override
    protected void setupResources() throws Exception {
        super.setupResources();
        A.model("twin:1").answer("from A");
        B.model("twin:1").answer("from B");
    }

    private void awaitStatus(String provider, String status) {
        assertTrue(eventually(Duration.ofSeconds(10), () -> provider(health(), provider).path("status").asText()
                .equals(status)), provider + " should be " + status + ": " + health());
    }

    @Test
    void everyProviderIsUpWithNoError() {
        HttpResponse<String> r = get("/health");
        assertEquals(200, r.statusCode());
        JsonNode h = json(r);
        assertEquals("UP", h.path("status").asText());
        for (JsonNode p : h.path("providers")) {
            assertEquals("UP", p.path("status").asText(), p.toString());
            assertEquals("CLOSED", p.path("circuit").asText());
            assertTrue(p.path("last_error").isNull());
            assertTrue(p.path("latency_ms").asLong(-1) >= 0);
        }
    }

    @Test
    void aStoppedBackendIsLeftOutThenComesBackWhenItRecovers() {
        C.stop(); // gemma2 and gemma_openai
        awaitStatus("gemma2", "DOWN");
        JsonNode h = health();
        assertEquals("DEGRADED", h.path("status").asText(), "every task still has a provider: " + h);
        assertEquals("connection refused", provider(h, "gemma2").path("last_error").asText());
        HttpResponse<String> judged = infer("site_tactics", "");
        assertEquals(200, judged.statusCode(), judged.body());
        assertEquals("llama31", json(judged).path("winner_provider").asText());

        C.restart();
        awaitStatus("gemma2", "UP");
        awaitStatus("gemma_openai", "UP");
        assertEquals("UP", health().path("status").asText());
        assertNull(provider(health(), "gemma2").path("last_error").textValue());
        HttpResponse<String> back = infer("openai_only", "");
        assertEquals("gemma_openai", json(back).path("winner_provider").asText(), "it is selected again: " + back.body());
    }

    @Test
    void aCachedAnswerIsServedWhileItsTaskHasNoProviderLeft() {
        String cached = "{\"task\":\"enrich_metadata\",\"prompt\":\"asked before\"}";
        assertEquals(200, infer(cached).statusCode());
        A.stop(); // phi3, the only provider of enrich_metadata
        awaitStatus("phi3", "DOWN");
        HttpResponse<String> r = infer(cached);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(json(r).path("from_cache").asBoolean(), "the cache answers without a provider: " + r.body());
        HttpResponse<String> fresh = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"never asked\"}");
        assertEquals(503, fresh.statusCode(), fresh.body());
        A.restart();
        awaitStatus("phi3", "UP");
    }

    @Test
    void aTaskWithNoProviderLeftIsDownAndAnswers503AtOnceWhileHealthIsDegraded() {
        A.stop(); // phi3, the only provider of enrich_metadata
        awaitStatus("phi3", "DOWN");
        HttpResponse<String> h = get("/health");
        assertEquals(200, h.statusCode(), "other tasks can still be served: " + h.body());
        assertEquals("DEGRADED", json(h).path("status").asText());
        assertEquals("DOWN", task(json(h), "enrich_metadata").path("status").asText(), h.body());
        assertEquals(0, task(json(h), "enrich_metadata").path("usable_providers").asInt());
        assertEquals("DEGRADED", task(json(h), "expand_queries").path("status").asText(), "llama31 is left: " + h.body());
        assertEquals("UP", task(json(h), "site_tactics").path("status").asText(), h.body());

        long t0 = System.nanoTime();
        HttpResponse<String> r = infer("enrich_metadata", "");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(503, r.statusCode(), r.body());
        assertEquals("no_provider_available", json(r).path("error").path("code").asText());
        assertEquals("health check failed: connection refused", reason(r, "phi3"));
        assertTrue(ms < 5000, "no backend was waited for (the deadline is 10 s): " + ms + " ms");
        assertEquals("llama31", json(infer("expand_queries", "")).path("winner_provider").asText(),
                "a task with another provider still answers");

        A.restart();
        awaitStatus("phi3", "UP");
        assertEquals("UP", health().path("status").asText());
        assertEquals("UP", task(health(), "enrich_metadata").path("status").asText());
        assertEquals(200, infer("enrich_metadata", "").statusCode());
    }

    @Test
    void healthIsDown503OnlyWhenNoTaskCanBeServed() {
        A.stop();
        B.stop();
        awaitStatus("phi3", "DOWN");
        awaitStatus("llama31", "DOWN");
        assertEquals(200, get("/health").statusCode(), "gemma2 still serves site_tactics and the others: " + health());
        C.stop();
        try {
            awaitStatus("gemma2", "DOWN");
            awaitStatus("gemma_openai", "DOWN");
            HttpResponse<String> h = get("/health");
            assertEquals(503, h.statusCode(), h.body());
            assertEquals("DOWN", json(h).path("status").asText());
            for (JsonNode t : json(h).path("tasks")) {
                assertEquals("DOWN", t.path("status").asText(), t.toString());
            }
        } finally {
            A.restart();
            B.restart();
            C.restart();
        }
        awaitStatus("phi3", "UP");
        awaitStatus("llama31", "UP");
        awaitStatus("gemma2", "UP");
        assertEquals(200, get("/health").statusCode());
    }

    @Test
    void anUnloadedModelIsDownUntilItIsListedAgain() {
        A.unlist("phi3:mini");
        awaitStatus("phi3", "DOWN");
        assertEquals("model 'phi3:mini' is not listed by /api/tags", provider(health(), "phi3").path("last_error").asText());
        int calls = A.calls("phi3:mini");
        assertEquals("llama31", json(infer("expand_queries", "")).path("winner_provider").asText());
        assertEquals(calls, A.calls("phi3:mini"), "a provider known to be down is not called");

        A.model("phi3:mini");
        awaitStatus("phi3", "UP");
        assertEquals("phi3", json(infer("expand_queries", "")).path("winner_provider").asText());
    }

    @Test
    void aReplicaWhoseCheckFailsGetsNoCallsWhileItsTwinServes() {
        awaitStatus("twin", "UP");
        B.unlist("twin:1");  // B's check fails; its breaker has seen no failed call
        assertTrue(eventually(Duration.ofSeconds(10), () -> "DOWN".equals(provider(health(), "twin").path("replicas")
                .get(1).path("status").asText())), "B's replica is down: " + health());
        int callsToB = B.calls("twin:1");
        for (int i = 0; i < 8; i++) {
            HttpResponse<String> r = infer("twin", "");
            assertEquals(200, r.statusCode(), r.body());
        }
        assertEquals(callsToB, B.calls("twin:1"), "no call goes to the replica whose check failed");
        JsonNode twin = provider(health(), "twin");
        assertEquals("UP", twin.path("status").asText(), "the provider is up while a replica is: " + twin);
        assertFalse(twin.path("replicas").get(1).path("usable").asBoolean(), twin.toString());
        assertEquals("CLOSED", twin.path("replicas").get(1).path("circuit").asText(), twin.toString());

        B.model("twin:1");
        assertTrue(eventually(Duration.ofSeconds(10), () -> provider(health(), "twin").path("replicas").get(1)
                .path("usable").asBoolean()), "B is back once its check passes: " + health());
    }

    @Test
    void anOpenAiCompatibleProviderIsCheckedOnV1Models() {
        assertTrue(C.requestedPaths().contains("/v1/models"));
        C.unlist("gemma2:9b");
        awaitStatus("gemma_openai", "DOWN");
        awaitStatus("gemma2", "DOWN"); // its own check on /api/tags lands independently
        assertEquals("model 'gemma2:9b' is not listed by /v1/models",
                provider(health(), "gemma_openai").path("last_error").asText());
        assertEquals("model 'gemma2:9b' is not listed by /api/tags",
                provider(health(), "gemma2").path("last_error").asText());
        assertEquals("DEGRADED", health().path("status").asText());
    }
}
