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
}
