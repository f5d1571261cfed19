package dev.llmpool.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/** Bad input gets the contract's status and error body, names the field, and never reaches a backend. */
class RequestValidationTest extends PoolTestSupport {

    private JsonNode expectError(HttpResponse<String> r, int status, String code, String field) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode body = json(r);
        assertEquals(code, body.path("error").path("code").asText(), r.body());
        if (field != null) {
            assertEquals(field, body.path("error").path("field").asText(), r.body());
        }
        assertFalse(body.path("error").path("message").asText().isBlank());
        assertFalse(body.path("request_id").asText().isBlank());
        assertFalse(r.body().contains("Exception"), "no stack trace or exception name: " + r.body());
        return body;
    }

    @ParameterizedTest(name = "{0} -> 400 on {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"prompt\":\"hi\"}|task",
            "{\"task\":\"expand_queries\"}|prompt",
            "{\"task\":\"expand_queries\",\"prompt\":\"\"}|prompt",
            "{\"task\":\"expand_queries\",\"prompt\":\"   \"}|prompt",
            "{\"task\":7,\"prompt\":\"hi\"}|task",
            "{\"task\":\"expand_queries\",\"prompt\":[\"hi\"]}|prompt",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"max_tokens\":0}|max_tokens",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"max_tokens\":-5}|max_tokens",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"max_tokens\":1.5}|max_tokens",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"max_tokens\":\"256\"}|max_tokens",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"deadline_ms\":0}|deadline_ms",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"deadline_ms\":1501}|deadline_ms",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"strategy\":\"RANDOM\"}|strategy",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"temperature\":2.5}|temperature",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"temperature\":-0.1}|temperature",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"format\":\"xml\"}|format",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"cache\":\"no\"}|cache",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"colour\":\"blue\"}|colour",
            "{\"colour\":\"blue\",\"task\":7,\"prompt\":\"hi\"}|colour",
            "{\"task\":{\"name\":\"expand_queries\"},\"prompt\":\"hi\"}|task",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"prompt\":7}|prompt",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"max_tokens\":99999999999999999999}|max_tokens",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"max_tokens\":3000000000}|max_tokens",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"format\":[\"json\"]}|format",
            "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"temperature\":\"0.5\"}|temperature",
    })
    void invalidFieldIsRejectedWith400NamingTheField(String body, String field) {
        expectError(infer(body), 400, "invalid_field", field);
        assertEquals(0, A.totalCalls() + B.totalCalls() + C.totalCalls(), "no backend was called");
    }

    @Test
    void malformedJsonGets400() {
        expectError(infer("{\"task\": \"expand_queries\", "), 400, "malformed_json", null);
        expectError(infer("[1,2,3]"), 400, "malformed_json", null);
        expectError(infer(""), 400, "malformed_json", null);
    }

    @Test
    void nonJsonContentTypeGets415() {
        expectError(post("/v1/infer", "text/plain", "{\"task\":\"expand_queries\",\"prompt\":\"hi\"}"), 415,
                "unsupported_media_type", null);
        expectError(post("/v1/infer", null, "{\"task\":\"expand_queries\",\"prompt\":\"hi\"}"), 415,
                "unsupported_media_type", null);
    }

    @Test
    void promptOverTheByteLimitGets413() {
        // 16384 bytes is the limit; "é" is two bytes in UTF-8, so 8193 of them exceed it although 8193 chars do not.
        String prompt = "é".repeat(8193);
        expectError(infer("{\"task\":\"expand_queries\",\"prompt\":\"" + prompt + "\"}"), 413, "prompt_too_large", "prompt");
        // an emoji is two chars and four bytes: 4097 of them are 16388 bytes
        String emoji = "\uD83D\uDE00".repeat(4097);
        expectError(infer("{\"task\":\"expand_queries\",\"prompt\":\"" + emoji + "\"}"), 413, "prompt_too_large", "prompt");
    }

    @Test
    void bodyOverTheBodyLimitGets413EveryTime() {
        // Refused on its Content-Length while the client is still sending it: closed at once, the unread rest made
        // the kernel reset the connection, and the reset often beat the 413 to the client (HttpFront's lingering
        // close). Without it a few in every hundred failed here, so the race is run many times.
        String big = "{\"task\":\"expand_queries\",\"prompt\":\"" + "x".repeat(1_100_000) + "\"}";
        for (int i = 0; i < 60; i++) {
            expectError(infer(big), 413, "body_too_large", null);
        }
    }

    @Test
    void unknownTaskGets404() {
        JsonNode body = expectError(infer("{\"task\":\"write_poem\",\"prompt\":\"hi\"}"), 404, "unknown_task", "task");
        // issue 23: the known tasks are not listed (a caller may not be allowed to know them all)
        assertFalse(body.path("error").path("message").asText().contains("expand_queries"), "does not list the tasks");
    }

    @Test
    void requestIdIsEchoedOnErrors() {
        HttpResponse<String> r = send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .header("Content-Type", "application/json").header("X-Request-Id", "req-42")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"task\":\"nope\",\"prompt\":\"x\"}")).build());
        assertEquals("req-42", r.headers().firstValue("X-Request-Id").orElse(null));
        assertEquals("req-42", json(r).path("request_id").asText());
    }
}
