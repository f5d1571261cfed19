package dev.llmpool.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * The access log: one line per request with its id, tenant, task, strategy, winner, status, duration, overhead,
 * tokens and trace id; values a caller could choose cannot break the line or forge a key.
 */
class AccessLogTest extends PoolTestSupport {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void everyRequestGetsOneLineWithItsFields() {
        A.model("phi3:mini").answer("one two three");
        try (LogCapture log = new LogCapture("dev.llmpool.access")) {
            HttpResponse<String> ok = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                    .header("Content-Type", "application/json").header("X-Request-Id", "req-42")
                    .header("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"task\":\"enrich_metadata\",\"prompt\":\"secret prompt text\"}")).build());
            assertEquals(200, ok.statusCode(), ok.body());
            JsonNode usage = json(ok).path("usage");
            HttpResponse<String> bad = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"\"}");
            assertEquals(400, bad.statusCode());
            assertTrue(eventually(Duration.ofSeconds(5), () -> log.lines.size() >= 2), log.lines.toString());
            assertEquals(2, log.lines.size(), "one line per request: " + log.lines);

            String line = log.lines.get(0);
            assertTrue(line.startsWith("event=request request_id=req-42 tenant=default api=infer task=enrich_metadata "
                    + "strategy=FASTEST winner=phi3 status=200 error=- duration_ms="), line);
            assertTrue(line.matches(".* overhead_ms=[0-9.]+ prompt_tokens=" + usage.path("prompt_tokens").asLong()
                    + " completion_tokens=3 from_cache=false trace_id=" + TRACE_ID), line);
            assertFalse(line.contains("secret"), "never the prompt");
            String failed = log.lines.get(1);
            assertTrue(failed.contains(" status=400 error=invalid_field ") || failed.contains(" status=400 error="),
                    failed);
            assertTrue(failed.contains(" winner=- ") && failed.endsWith(" trace_id=-"), failed);
        }
    }

    @Test
    void valuesCannotBreakTheLineOrForgeAKey() {
        FinishedRequest hostile = new FinishedRequest(0, "id\nevent=request status=200", "infer", "ten ant=\"x\"",
                "t\\ask", "FASTEST", "p\u0007", 200, null, 1_234_567, 56_000, 1, 2, false, null, "a prompt");
        String kv = new AccessLog(AccessLog.Format.KV, new ObjectMapper()).line(hostile);
        assertFalse(kv.contains("\n") || kv.contains("\u0007"), kv);
        assertTrue(kv.contains("request_id=\"id\\nevent=request status=200\""), kv);
        assertTrue(kv.contains("tenant=\"ten ant=\\\"x\\\"\""), kv);
        assertTrue(kv.contains("task=\"t\\\\ask\""), kv);
        assertTrue(kv.contains("winner=\"p\\u0007\""), kv);
        assertTrue(kv.contains(" duration_ms=1.235 overhead_ms=0.056 "), kv);
        assertFalse(kv.contains("a prompt"));
        // read back as key=value pairs: exactly the keys written, in order, none forged
        List<String> keys = List.of("event", "request_id", "tenant", "api", "task", "strategy", "winner", "status",
                "error", "duration_ms", "overhead_ms", "prompt_tokens", "completion_tokens", "from_cache", "trace_id");
        java.util.regex.Matcher pair = java.util.regex.Pattern
                .compile("\\G(?: |^)([a-z_]+)=(\"(?:[^\"\\\\]|\\\\.)*\"|[^\" ]+)").matcher(kv);
        List<String> read = new java.util.ArrayList<>();
        int end = 0;
        while (pair.find()) {
            read.add(pair.group(1));
            end = pair.end();
        }
        assertEquals(keys, read, kv);
        assertEquals(kv.length(), end, "the whole line is key=value pairs: " + kv);

        assertEquals(AccessLog.Format.OFF, AccessLog.format(" Off "));
        assertEquals(AccessLog.Format.JSON, AccessLog.format("json"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> AccessLog.format("xml"));

        String json = new AccessLog(AccessLog.Format.JSON, new ObjectMapper()).line(hostile);
        assertFalse(json.contains("\n") || json.contains("\u0007"), json);
        try {
            JsonNode parsed = new ObjectMapper().readTree(json);
            assertEquals("id\nevent=request status=200", parsed.path("request_id").asText());
            assertEquals(200, parsed.path("status").asInt());
            assertEquals(1.235, parsed.path("duration_ms").asDouble());
            assertTrue(parsed.path("trace_id").isNull());
        } catch (Exception e) {
            throw new AssertionError(json, e);
        }
    }
}
