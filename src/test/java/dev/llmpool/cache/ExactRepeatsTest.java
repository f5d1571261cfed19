package dev.llmpool.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

/**
 * Byte-for-byte repeats of a cached request are answered by the HTTP consumer before routes/infer.camel.yaml runs
 * (cache/ExactRepeats); anything that could change what the route does with them still goes through it.
 */
class ExactRepeatsTest extends CacheTestSupport {

    /** Counts HTTP requests that go through the routes (http-infer, then infer) from now on. */
    private NotifyBuilder inferRoute() {
        return new NotifyBuilder(context).fromRoute("http-infer").whenDone(1).create();
    }

    @Test
    void anExactRepeatIsAnsweredFromTheCacheWithoutTheInferRoute() {
        HttpResponse<String> first = infer(body("r1"));
        NotifyBuilder route = inferRoute();
        HttpResponse<String> repeat = infer(body("r1"));

        assertEquals(200, repeat.statusCode(), repeat.body());
        assertFalse(route.matches(), "the infer route did not run for the repeat");
        JsonNode a = json(first);
        JsonNode b = json(repeat);
        assertTrue(b.path("from_cache").asBoolean(false), repeat.body());
        assertEquals(a.path("content"), b.path("content"));
        assertEquals(a.path("winner_provider"), b.path("winner_provider"));
        assertNotEquals(a.path("request_id"), b.path("request_id"), "the repeat has its own request id");
        assertEquals(b.path("request_id").asText(), repeat.headers().firstValue("X-Request-Id").orElse(null));
        assertEquals("application/json", repeat.headers().firstValue("Content-Type").orElse(null));
        assertEquals(1, A.calls("phi3:mini"));
        assertEquals(1, count("llmpool.cache.requests", "result", "hit"));
        Timer served = context.getRegistry().findSingleByType(MeterRegistry.class).find("llmpool.requests")
                .tag("task", "enrich_metadata").tag("status", "200").timer();
        assertEquals(2, served.count(), "the repeat is counted with the requests");
    }

    @Test
    void aRepeatKeepsTheCallersRequestId() {
        infer(body("r2"));
        HttpResponse<String> repeat = infer(body("r2"), "X-Request-Id", "caller-id-42");
        assertEquals("caller-id-42", json(repeat).path("request_id").asText());
        assertEquals("caller-id-42", repeat.headers().firstValue("X-Request-Id").orElse(null));
    }

    @Test
    void theSameBodyWithAnotherContentTypeIsValidatedByTheRoute() {
        infer(body("r3"));
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(body("r3"))).build());
        assertEquals(415, r.statusCode(), r.body());
    }

    @Test
    void repeatsWithAnIdempotencyKeyOrCacheControlGoThroughTheRoute() {
        infer(body("r4"));
        NotifyBuilder keyed = inferRoute();
        assertTrue(json(infer(body("r4"), "Idempotency-Key", "k-r4")).path("from_cache").asBoolean(false));
        assertTrue(keyed.matches(), "the route ran: it keeps the key for replays");
        NotifyBuilder controlled = inferRoute();
        assertTrue(json(infer(body("r4"), "Cache-Control", "max-age=60")).path("from_cache").asBoolean(false));
        assertTrue(controlled.matches(), "the route ran: it reads Cache-Control");
    }

    @Test
    void aRepeatAfterTheAnswerWasRefreshedGetsTheFreshAnswer() {
        infer(body("r5"));
        infer(body("r5"));  // remembered as a repeat
        A.model("phi3:mini").answer("a fresher answer");
        infer("{\"task\":\"enrich_metadata\",\"prompt\":\"r5\",\"cache\":false}");
        JsonNode repeat = json(infer(body("r5")));
        assertEquals("a fresher answer", repeat.path("content").asText());
        assertTrue(repeat.path("from_cache").asBoolean(false));
        assertEquals(2, A.calls("phi3:mini"));
    }

    @Test
    void aRefreshingRequestIsNeverAnsweredAsARepeat() {
        String refresh = "{\"task\":\"enrich_metadata\",\"prompt\":\"r6\",\"cache\":false}";
        infer(refresh);
        JsonNode again = json(infer(refresh));
        assertFalse(again.path("from_cache").asBoolean(true), "cache:false always asks the model");
        assertEquals(2, A.calls("phi3:mini"));
    }

    @Test
    void aRepeatSentChunkedOrWithExpectContinueIsStillAnsweredFromTheCache() throws Exception {
        infer(body("r7"));
        // no Content-Length (chunked): not read ahead, so the router's body handler reads it
        HttpResponse<String> chunked = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(body("r7").getBytes()))).build());
        assertEquals(200, chunked.statusCode(), chunked.body());
        assertTrue(json(chunked).path("from_cache").asBoolean(false), chunked.body());
        // Expect: 100-continue: the body comes only once the server says continue, which the body handler does
        HttpResponse<String> continued = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json").expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofString(body("r7"))).build());
        assertEquals(200, continued.statusCode(), continued.body());
        assertTrue(json(continued).path("from_cache").asBoolean(false), continued.body());
        assertEquals(1, A.calls("phi3:mini"));
    }

    @Test
    void aRequestReadForTheRepeatCheckReachesTheRouteWhole() {
        // not a repeat: read in full by the first handler, then replayed to the route, which must see every byte
        String prompt = "x".repeat(9000) + "\u00e9 end";
        HttpResponse<String> r = infer(body(prompt));
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder sent = new StringBuilder();
        A.lastRequest("phi3:mini").path("messages").forEach(m -> sent.append(m.path("content").asText()));
        assertTrue(sent.toString().contains(prompt), "the backend got the whole prompt, multi-byte character included");
    }

    @Test
    void answersCarryTheirLengthRatherThanChunks() {
        HttpResponse<String> miss = infer(body("r8"));
        HttpResponse<String> hit = infer(body("r8"));
        HttpResponse<String> error = infer("{\"task\":\"no_such_task\",\"prompt\":\"r8\"}");
        for (HttpResponse<String> r : java.util.List.of(miss, hit, error)) {
            assertEquals(String.valueOf(r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length),
                    r.headers().firstValue("Content-Length").orElse("none"), r.body());
            assertFalse(r.headers().firstValue("Transfer-Encoding").isPresent(), r.headers().toString());
        }
        assertEquals(404, error.statusCode(), error.body());
    }
}
