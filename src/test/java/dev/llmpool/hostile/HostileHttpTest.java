package dev.llmpool.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.fixture.LogCapture;
import dev.llmpool.fixture.RawHttp;

/**
 * Issue 23, items 1 to 5 over HTTP: whatever a careless or hostile client sends, the answer is JSON in the shape of
 * the API its path belongs to, names no Java class or library internal, reflects no caller text unbounded, and the
 * log gets one plain line for it, never a forged one or a stack trace.
 */
class HostileHttpTest extends PoolTestSupport {

    private static final String OK_BODY = "{\"task\":\"expand_queries\",\"prompt\":\"hi\"}";

    private RawHttp.Response raw(String request) throws IOException {
        return RawHttp.exchange(port, request);
    }

    /** The task API's error shape, with the given status and code. */
    private JsonNode taskError(RawHttp.Response r, int status, String code) throws IOException {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.header("content-type").startsWith("application/json"), r.headers().toString());
        JsonNode body = JSON.readTree(r.body());
        assertEquals(code, body.path("error").path("code").asText(), r.body());
        assertFalse(body.path("error").path("message").asText().isBlank(), r.body());
        assertFalse(body.path("request_id").asText().isBlank(), r.body());
        assertNamesNoInternals(r.body());
        return body;
    }

    static void assertNamesNoInternals(String body) {
        for (String internal : List.of("Exception", "java.", "com.fasterxml", "io.netty", "io.vertx", "org.apache",
                "StreamReadConstraints", "getMax")) {
            assertFalse(body.contains(internal), "names " + internal + ": " + body);
        }
    }

    @Test
    void getOnAPostOnlyPathIs405WithAllowAndJson() throws IOException {
        RawHttp.Response r = raw("GET /v1/infer HTTP/1.1\r\nHost: x\r\n\r\n");
        taskError(r, 405, "method_not_allowed");
        assertEquals("POST", r.header("allow"));
    }

    @Test
    void headOnAGetOnlyPathIs405WithAllow() throws IOException {
        RawHttp.Response r = RawHttp.exchange(port, "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(), true);
        assertEquals(405, r.status());
        assertEquals("GET", r.header("allow"));
        assertTrue(r.header("content-type").startsWith("application/json"));
    }

    @Test
    void unknownPathsAre404InTheShapeOfTheirApi() throws IOException {
        taskError(raw("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"), 404, "not_found");
        RawHttp.Response openai = raw("POST /v1/chat/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        assertEquals(404, openai.status());
        JsonNode o = JSON.readTree(openai.body());
        assertEquals("not_found", o.path("error").path("code").asText(), openai.body());
        assertEquals("not_found_error", o.path("error").path("type").asText());
        assertTrue(o.path("error").has("param"));
        RawHttp.Response ollama = raw("GET /api/nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(404, ollama.status());
        assertTrue(JSON.readTree(ollama.body()).path("error").isTextual(), ollama.body());
    }

    @Test
    void anOversizedBodyIs413Json() throws IOException {
        String big = "x".repeat(2_000_000);
        taskError(raw("POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + big.length() + "\r\n\r\n" + big), 413, "body_too_large");
    }

    @Test
    void expectContinueWithATooLargeBodyGetsAnEarly413AndNo100() throws IOException {
        RawHttp.Response r = raw("POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n");
        assertEquals("", r.interim(), "no 100 Continue before the refusal");
        taskError(r, 413, "body_too_large");
    }

    @Test
    void expectContinueWithAnAcceptableBodyGets100ThenTheAnswer() throws IOException {
        RawHttp.Response r = raw("POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + OK_BODY.length() + "\r\nExpect: 100-continue\r\n\r\n" + OK_BODY);
        assertTrue(r.interim().startsWith("HTTP/1.1 100"), r.interim());
        assertEquals(200, r.status(), r.body());
    }

    @Test
    void anUnknownExpectationIs417() throws IOException {
        taskError(raw("POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + OK_BODY.length() + "\r\nExpect: something\r\n\r\n" + OK_BODY), 417, "expectation_failed");
    }

    @Test
    void anOverlongRequestLineIs414AndOversizedHeadersAre431() throws IOException {
        taskError(raw("GET /health?" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414, "uri_too_long");
        taskError(raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n"), 431,
                "headers_too_large");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "Transfer-Encoding: gzip, chunked\r\n",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            "Host: y\r\nContent-Length: 2\r\n",
            "Content-Length: 2\r\nContent-Length: 3\r\n",
    })
    void ambiguousFramingIs400(String headers) throws IOException {
        RawHttp.Response r = raw("POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + headers
                + "\r\n0\r\n\r\n");
        assertEquals(400, r.status(), r.body());
        assertTrue(r.header("content-type").startsWith("application/json"));
        assertNamesNoInternals(r.body());
    }

    @Test
    void onlyJsonItselfIsJson() {
        HttpResponse<String> jsonx = post("/v1/infer", "application/jsonx", OK_BODY);
        assertEquals(415, jsonx.statusCode(), jsonx.body());
        assertEquals(200, post("/v1/infer", "application/json; charset=utf-8", OK_BODY).statusCode());
        assertEquals(200, post("/v1/infer", "Application/JSON", OK_BODY).statusCode());
    }

    @Test
    void anEmptyIdempotencyKeyIs400() {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json").header("Idempotency-Key", "")
                .POST(HttpRequest.BodyPublishers.ofString(OK_BODY)).build());
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("Idempotency-Key", json(r).path("error").path("field").asText());
    }

    @Test
    void jacksonsLimitsAreReportedWithoutItsInternals() {
        HttpResponse<String> deep = post("/v1/infer", "application/json", "[".repeat(2000));
        assertEquals(400, deep.statusCode());
        assertNamesNoInternals(deep.body());
        assertFalse(deep.body().contains("1000"), deep.body());
        HttpResponse<String> longNumber = post("/v1/infer", "application/json",
                "{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"max_tokens\":1" + "0".repeat(2000) + "}");
        assertEquals(400, longNumber.statusCode());
        assertNamesNoInternals(longNumber.body());
        assertTrue(longNumber.body().length() < 600, longNumber.body());
    }

    @Test
    void callerTextIsCappedInAnswersAndCannotForgeLogLines() throws IOException {
        String forged = "x\n2026-01-01 level=ERROR logger=ErrorResponder event=forged " + "y".repeat(5000);
        try (LogCapture log = new LogCapture()) {
            HttpResponse<String> field = post("/v1/infer", "application/json",
                    "{\"task\":\"expand_queries\",\"prompt\":\"hi\"," + JSON.writeValueAsString(forged) + ":1}");
            HttpResponse<String> task = post("/v1/infer", "application/json",
                    "{\"task\":" + JSON.writeValueAsString(forged) + ",\"prompt\":\"hi\"}");
            assertEquals(400, field.statusCode());
            assertEquals(404, task.statusCode());
            assertTrue(field.body().length() < 1000 && task.body().length() < 1000, "caller text is capped");
            assertTrue(eventually(Duration.ofSeconds(5), () -> log.text().contains("code=unknown_task")));
            for (String line : log.lines()) {
                assertFalse(line.contains("event=forged") && !line.contains("event=request_failed"),
                        "a forged line: " + line);
                assertTrue(line.length() < 2000, "a flood of caller text in one line: " + line.length());
            }
        }
    }

    @Test
    void aMalformedChunkIsOneWarnLineWithoutAStack() throws IOException {
        try (LogCapture log = new LogCapture()) {
            try {
                RawHttp.Response r = raw("POST /v1/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\nZZZZ\r\nabc\r\n0\r\n\r\n");
                assertEquals(400, r.status(), r.body());
                assertNamesNoInternals(r.body());
            } catch (IOException closedWithoutAnswer) {
                // Netty may end the connection at once: what matters here is the log
            }
            assertTrue(eventually(Duration.ofSeconds(5), () -> log.text().contains("event=client_protocol_error")),
                    log.text());
            List<String> lines = log.lines();
            assertTrue(lines.stream().noneMatch(l -> l.startsWith("\tat ") || l.contains("level=ERROR")),
                    "no stack trace, no ERROR: " + log.text());
        }
        assertEquals(200, infer(OK_BODY).statusCode(), "the service still answers");
    }

    @Test
    void aRouteAddedWhileRunningIsServedByTheFront() {
        // the health route is a platform-http route like any other; its answer comes through FrontConsumer
        HttpResponse<String> r = get("/health");
        assertEquals(200, r.statusCode());
        assertNotNull(json(r).path("status").asText(null));
    }
}
