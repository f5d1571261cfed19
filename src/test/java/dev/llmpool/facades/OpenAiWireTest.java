package dev.llmpool.facades;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/** POST /v1/chat/completions and GET /v1/models on the wire: shapes, headers, the model rule, multi-turn, errors. */
class OpenAiWireTest extends PoolTestSupport {

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-prompt-bytes=200
                pool.tasks.vote.providers=phi3,llama31,gemma2
                pool.tasks.vote.strategy=VOTING
                pool.tasks.vote.prompt=prompts/enrich_metadata.md
                """;
    }

    private HttpResponse<String> chat(String json) {
        return post("/v1/chat/completions", "application/json", json);
    }

    @Test
    void aChatCompletionAnswersFromTheTaskWithItsTemplateOnTheLastUserMessage() {
        HttpResponse<String> r = chat("""
                {"model":"enrich_metadata","messages":[
                  {"role":"system","content":"be brief"},
                  {"role":"user","content":"first question"},
                  {"role":"assistant","content":"first answer"},
                  {"role":"user","content":"second question"}],
                 "max_completion_tokens":50,"some_future_field":{"x":1}}""");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode c = json(r);
        String requestId = r.headers().firstValue("X-Request-Id").orElseThrow();
        assertEquals("chatcmpl-" + requestId, c.path("id").asText());
        assertEquals("chat.completion", c.path("object").asText());
        assertEquals("phi3:mini", c.path("model").asText(), "the winning backend model");
        assertEquals("assistant", c.path("choices").path(0).path("message").path("role").asText());
        assertEquals("phi3 says hello", c.path("choices").path(0).path("message").path("content").asText());
        assertEquals("stop", c.path("choices").path(0).path("finish_reason").asText());
        JsonNode usage = c.path("usage");
        assertEquals(usage.path("prompt_tokens").asLong() + usage.path("completion_tokens").asLong(), usage.path("total_tokens").asLong());
        assertTrue(usage.path("completion_tokens").asLong() > 0);
        assertEquals("enrich_metadata", c.path("llmpool").path("task").asText());
        assertEquals("phi3", c.path("llmpool").path("winner_provider").asText());
        assertEquals(requestId, c.path("llmpool").path("request_id").asText());

        // The backend got the conversation in order, the task's template around the last user message only
        JsonNode sent = A.lastRequest("phi3:mini").path("messages");
        assertEquals(4, sent.size(), sent.toString());
        assertEquals("system", sent.get(0).path("role").asText());
        assertEquals("be brief", sent.get(0).path("content").asText());
        assertEquals("first question", sent.get(1).path("content").asText());
        assertEquals("assistant", sent.get(2).path("role").asText());
        String last = sent.get(3).path("content").asText();
        assertTrue(last.contains("second question") && last.length() > "second question".length(),
                "the template wraps the last user message: " + last);
        assertEquals(50, A.lastRequest("phi3:mini").path("options").path("num_predict").asInt(), "max_completion_tokens");
    }

    @Test
    void aModelThatNamesAProviderAsksThatProviderAlone() {
        HttpResponse<String> r = chat("{\"model\":\"gemma2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("gemma says hello", json(r).path("choices").path(0).path("message").path("content").asText());
        assertEquals("hi", C.lastRequest("gemma2:9b").path("messages").path(0).path("content").asText(), "no template");
        assertEquals(0, A.calls("phi3:mini") + B.calls("llama3.1:8b"));
    }

    @Test
    void otherStrategiesAnswerWithTheirExtensionFields() {
        B.model("llama3.1:8b").answer("phi3 says hello");
        HttpResponse<String> r = chat("{\"model\":\"vote\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode x = json(r).path("llmpool");
        assertEquals("VOTING", x.path("strategy_used").asText());
        assertEquals(2, x.path("votes").path("phi3 says hello").asInt(), x.toString());
    }

    @Test
    void modelsListsEveryTaskAndProvider() {
        HttpResponse<String> r = get("/v1/models");
        assertEquals(200, r.statusCode());
        JsonNode list = json(r);
        assertEquals("list", list.path("object").asText());
        List<String> ids = new ArrayList<>();
        for (JsonNode m : list.path("data")) {
            ids.add(m.path("id").asText());
            assertEquals("model", m.path("object").asText());
            assertEquals("llm-pool", m.path("owned_by").asText());
            assertTrue(m.path("created").asLong() > 0);
        }
        assertTrue(ids.containsAll(List.of("expand_queries", "enrich_metadata", "vote", "phi3", "llama31", "gemma2")), ids.toString());
    }

    @Test
    void badRequestsGetOpenAiErrorsWithTheTaskApiStatus() {
        assertError(chat("{\"model\":\"enrich_metadata\",\"messages\":"), 400, null, "malformed_json");
        assertError(chat("[1,2]"), 400, null, "malformed_json");
        assertError(chat(""), 400, null, "malformed_json");
        assertError(chat("{\"model\":\"enrich_metadata\",\"messages\":[]}"), 400, "messages", "invalid_field");
        assertError(chat("{\"model\":\"enrich_metadata\",\"messages\":\"hi\"}"), 400, "messages", "invalid_field");
        assertError(chat("{\"model\":\"enrich_metadata\",\"messages\":[{\"role\":\"user\"}]}"), 400, "messages[0].content", "invalid_field");
        assertError(chat("{\"model\":\"enrich_metadata\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}"), 400, "messages[0].role", "invalid_field");
        assertError(chat("{\"model\":7,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400, "model", "invalid_field");
        assertError(chat("{\"model\":\"enrich_metadata\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400, "n", "invalid_field");
        assertError(chat("{\"model\":\"enrich_metadata\",\"temperature\":\"hot\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400, "temperature", "invalid_field");
        assertError(chat("{\"model\":\"enrich_metadata\",\"max_completion_tokens\":-1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400, "max_completion_tokens", "invalid_field");
        assertError(chat("{\"model\":\"enrich_metadata\",\"response_format\":{\"type\":\"xml\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400, "response_format", "invalid_field");
        assertError(chat("{\"model\":\"enrich_metadata\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(300) + "\"}]}"), 413, "messages", "prompt_too_large");
        HttpResponse<String> unknown = chat("{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertError(unknown, 404, "model", "model_not_found");
        assertTrue(json(unknown).path("error").path("message").asText().contains("gpt-9"));
        assertError(post("/v1/chat/completions", "text/plain", "{}"), 415, null, "unsupported_media_type");
        assertEquals(0, A.totalCalls() + B.totalCalls() + C.totalCalls(), "no bad request reached a backend");
    }

    private static void assertError(HttpResponse<String> r, int status, String param, String code) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertNotNull(r.headers().firstValue("X-Request-Id").orElse(null), "errors carry the request id");
        JsonNode e = json(r).path("error");
        assertEquals(4, e.size(), "exactly message, type, param, code: " + r.body());
        assertTrue(e.path("message").isTextual() && !e.path("message").asText().isEmpty());
        assertFalse(r.body().contains("Exception"), r.body());
        assertEquals(status < 500 ? "invalid_request_error" : "api_error", e.path("type").asText());
        assertEquals(param, e.path("param").isNull() ? null : e.path("param").asText(), r.body());
        assertEquals(code, e.path("code").asText(), r.body());
    }
}
