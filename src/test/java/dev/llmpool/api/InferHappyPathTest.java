package dev.llmpool.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.llmpool.PoolTestSupport;

/** A request goes through the routes to a backend speaking Ollama's API and comes back in the contract's shape. */
class InferHappyPathTest extends PoolTestSupport {

    /**
     * No hedge and room to answer: these tests are about the request's path, and several assert that phi3 alone
     * answered. With the shipped hedge (300 ms) and deadline (1.5 s) a loaded machine could fire the backup or run
     * out the clock.
     */
    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.tasks.expand_queries.hedge-after-ms=20000
                """;
    }

    @ParameterizedTest(name = "default task {0} answers 200")
    @ValueSource(strings = {"expand_queries", "enrich_metadata", "recovery_plan", "site_tactics", "rerank_candidates", "judge"})
    void everyDefaultTaskAnswers(String task) {
        HttpResponse<String> r = infer("{\"task\":\"" + task + "\",\"prompt\":\"ambient cinematic\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals(task, body.path("task").asText());
        assertFalse(body.path("content").asText().isBlank());
        assertFalse(body.path("winner_model").asText().isBlank());
        assertTrue(body.path("models_queried").isArray() && body.path("models_queried").size() >= 1);
        assertFalse(body.path("from_cache").asBoolean(true));
    }

    @Test
    void fastestAnswersFromTheFirstProviderWithTheContractFields() {
        HttpResponse<String> r = infer("{\"task\":\"expand_queries\",\"prompt\":\"ambient cinematic\",\"max_tokens\":64,"
                + "\"temperature\":0.2}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals("phi3 says hello", body.path("content").asText());
        assertEquals("phi3:mini", body.path("winner_model").asText());
        assertEquals("phi3", body.path("winner_provider").asText());
        assertEquals("FASTEST", body.path("strategy_used").asText());
        assertEquals("phi3:mini", body.path("models_queried").path(0).asText());
        assertFalse(body.path("hedged").asBoolean(true));
        assertTrue(body.path("duration_ms").asLong(-1) >= 0);
        assertTrue(body.path("usage").path("prompt_tokens").asLong() > 0, "usage comes from the backend's counts");
        assertEquals(3, body.path("usage").path("completion_tokens").asLong());
        assertNotEquals("", body.path("request_id").asText());
        assertEquals(body.path("request_id").asText(), r.headers().firstValue("X-Request-Id").orElse(null));
    }

    @Test
    void backendReceivesOllamaChatWithOptionsAndTheRenderedPrompt() {
        A.model("phi3:mini").answer("[\"ambient\", \"cinematic\"]"); // JSON, as the format asks
        infer("{\"task\":\"expand_queries\",\"prompt\":\"ambient cinematic\",\"max_tokens\":64,\"temperature\":0.2,"
                + "\"format\":\"json\"}");
        JsonNode sent = A.lastRequest("phi3:mini");
        assertEquals("phi3:mini", sent.path("model").asText());
        assertFalse(sent.path("stream").asBoolean(true), "stream:false must be explicit for Ollama");
        assertEquals(64, sent.path("options").path("num_predict").asInt());
        assertEquals(0.2, sent.path("options").path("temperature").asDouble(), 1e-9);
        assertEquals("json", sent.path("format").asText());
        String content = sent.path("messages").path(0).path("content").asText();
        assertTrue(content.contains("ambient cinematic") && content.contains("alternative queries"),
                "the caller's prompt is rendered into prompts/expand_queries.md: " + content);
        assertEquals(1, A.calls("phi3:mini"));
        assertEquals(0, B.calls("llama3.1:8b"), "FASTEST without a slow first provider calls one backend");
    }

    @Test
    void callerHeadersNeverReachTheBackend() {
        send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer caller-secret")
                .header("X-Custom", "leak")
                .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"expand_queries\",\"prompt\":\"x\"}")).build());
        var headers = A.lastHeaders("phi3:mini");
        assertFalse(headers.containsKey("authorization"), headers.toString());
        assertFalse(headers.containsKey("x-custom"), headers.toString());
    }

    @Test
    void responseDoesNotEchoRequestHeaders() {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer caller-secret")
                .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"expand_queries\",\"prompt\":\"x\"}")).build());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Authorization").isEmpty());
    }

    @Test
    void taskLimitsApplyWhenTheCallerGivesNone() {
        infer("{\"task\":\"enrich_metadata\",\"prompt\":\"some content\"}");
        assertEquals(256, A.lastRequest("phi3:mini").path("options").path("num_predict").asInt());
        assertTrue(A.lastRequest("phi3:mini").path("options").path("temperature").isMissingNode(),
                "no temperature unless asked: the model's default applies");
    }

    @Test
    void metricsCountRequestsByTaskStrategyAndStatus() {
        infer("{\"task\":\"expand_queries\",\"prompt\":\"x\"}");
        infer("{\"task\":\"nope\",\"prompt\":\"x\"}");
        HttpResponse<String> m = get("/metrics");
        assertEquals(200, m.statusCode());
        assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String text = m.body();
        assertTrue(text.contains("llmpool_requests_seconds_count{api=\"infer\",status=\"200\",strategy=\"FASTEST\",task=\"expand_queries\"} 1"), text);
        assertTrue(text.contains("llmpool_requests_seconds_count{api=\"infer\",status=\"404\",strategy=\"none\",task=\"invalid\"} 1"), text);
        assertTrue(text.contains("llmpool_provider_calls_seconds_count{outcome=\"success\",provider=\"phi3\"} 1"), text);
    }
}
