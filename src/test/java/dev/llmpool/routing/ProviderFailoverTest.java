package dev.llmpool.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/** Backend failures are recognised, fall back to the next provider, and end in a clear 503 or 504. */
class ProviderFailoverTest extends PoolTestSupport {

    /**
     * A connect that times out, and the deadline, both take 10 s here: a failure that is not recognised at once would
     * take that long, far beyond the bounds below, which leave a loaded machine seconds for what takes milliseconds.
     */
    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.http.connect-timeout-ms", "10000");
        return p;
    }

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=10000
                pool.providers.gemma_openai.url=%s
                pool.providers.gemma_openai.kind=openai
                pool.providers.gemma_openai.model=gemma2:9b
                pool.tasks.openai_only.providers=gemma_openai
                pool.tasks.openai_only.prompt=prompts/expand_queries.md
                """.formatted(C.url());
    }

    @Test
    void refusedConnectionFallsBackToTheNextProvider() {
        A.stop();
        HttpResponse<String> r = infer("{\"task\":\"expand_queries\",\"prompt\":\"x\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("llama31", json(r).path("winner_provider").asText());
        assertEquals(1, B.calls("llama3.1:8b"));
    }

    @Test
    void modelNotFoundFallsBackToTheNextProvider() {
        A.unlist("phi3:mini");
        HttpResponse<String> r = infer("{\"task\":\"recovery_plan\",\"prompt\":\"x\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("llama31", json(r).path("winner_provider").asText());
        assertEquals(1, A.calls("phi3:mini"), "phi3 was tried first");
    }

    @Test
    void backendErrorsAreReportedPerProviderIn503() {
        A.model("phi3:mini").failWith(500, "{\"error\":\"llama runner process has terminated\"}");
        HttpResponse<String> r = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"x\"}");
        assertEquals(503, r.statusCode(), r.body());
        JsonNode error = json(r).path("error");
        assertEquals("no_provider_available", error.path("code").asText());
        assertEquals("HTTP 500: llama runner process has terminated", error.path("providers").path("phi3").asText());
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
    }

    @Test
    void modelNotFoundIsRecognisedNotPassedThrough() {
        A.unlist("phi3:mini");
        JsonNode error = json(infer("{\"task\":\"enrich_metadata\",\"prompt\":\"x\"}")).path("error");
        assertEquals("HTTP 404: model 'phi3:mini' not found", error.path("providers").path("phi3").asText());
    }

    @Test
    void invalidJsonFromBackendIsAFailure() {
        A.model("phi3:mini").invalidJson();
        JsonNode error = json(infer("{\"task\":\"enrich_metadata\",\"prompt\":\"x\"}")).path("error");
        assertTrue(error.path("providers").path("phi3").asText().contains("invalid JSON"), error.toString());
    }

    @Test
    void allProvidersDownGives503QuicklyWithEachReason() {
        A.stop();
        B.stop();
        long t0 = System.nanoTime();
        HttpResponse<String> r = infer("{\"task\":\"expand_queries\",\"prompt\":\"x\"}");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(503, r.statusCode(), r.body());
        JsonNode providers = json(r).path("error").path("providers");
        // A kept-alive connection to a backend that went away fails as "closed without a response", a new one as refused.
        var downReasons = java.util.Set.of("connection refused", "connection closed without a response");
        assertTrue(downReasons.contains(providers.path("phi3").asText()), r.body());
        assertTrue(downReasons.contains(providers.path("llama31").asText()), r.body());
        assertEquals(2, providers.size(), "only the task's providers are listed");
        assertTrue(ms < 5000, "refused connections fail fast, took " + ms + " ms");
    }

    @Test
    void slowBackendPastTheDeadlineGives504AndTheCallIsCutOff() throws Exception {
        A.model("phi3:mini").latency(Duration.ofSeconds(30));
        long t0 = System.nanoTime();
        HttpResponse<String> r = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"x\",\"deadline_ms\":250}");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.statusCode(), r.body());
        assertEquals("deadline_exceeded", json(r).path("error").path("code").asText());
        assertTrue(ms < 5000, "answered at the deadline, not after the backend's 30 s, took " + ms + " ms");
        // The backend call's response timeout is the deadline: the connection is closed soon after.
        assertTrue(eventually(Duration.ofSeconds(10), () -> A.inFlight("phi3:mini") == 0),
                "the losing call does not outlive the deadline for long (the backend would take 30 s)");
    }

    @Test
    void openAiCompatibleProviderAnswers() {
        C.model("gemma2:9b").answer("{\"greeting\": \"gemma says hello\"}"); // JSON, as the format asks
        HttpResponse<String> r = infer("{\"task\":\"openai_only\",\"prompt\":\"x\",\"max_tokens\":50,\"format\":\"json\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("{\"greeting\": \"gemma says hello\"}", json(r).path("content").asText());
        JsonNode sent = C.lastRequest("gemma2:9b");
        assertEquals(50, sent.path("max_tokens").asInt());
        assertEquals("json_object", sent.path("response_format").path("type").asText());
        assertTrue(C.requestedPaths().contains("/v1/chat/completions"));
    }

    @Test
    void healthReportsEachProviderAndTurnsDownWhenBackendsStop() {
        HttpResponse<String> up = get("/health");
        assertEquals(200, up.statusCode(), up.body());
        JsonNode providers = json(up).path("providers");
        assertEquals(4, providers.size());
        for (JsonNode p : providers) {
            assertEquals("CLOSED", p.path("circuit").asText());
            assertTrue(p.has("latency_ms") && p.has("last_error") && p.has("url") && p.has("model"));
        }
    }
}
