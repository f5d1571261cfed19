package dev.llmpool.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Idempotency-Key: the same key and body get the first response again; another body gets a 409. */
class IdempotencyKeyTest extends CacheTestSupport {

    private static final String KEY = "Idempotency-Key";
    /** "cache": false, so that only the idempotency key can spare the second backend call. */
    private static final String BODY = "{\"task\":\"enrich_metadata\",\"prompt\":\"charge once\",\"cache\":false}";

    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\n";
    }

    @Test
    void sameKeyAndBodyReplayTheFirstResponse() {
        HttpResponse<String> first = infer(BODY, KEY, "order-1");
        HttpResponse<String> again = infer("{ \"cache\": false, \"prompt\": \"charge once\", \"task\": \"enrich_metadata\" }",
                KEY, "order-1", "X-Request-Id", "retry-of-order-1");
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(first.body(), again.body(), "the same response, byte for byte");
        assertEquals("true", again.headers().firstValue("Idempotent-Replayed").orElse(null));
        assertEquals("retry-of-order-1", again.headers().firstValue("X-Request-Id").orElse(null),
                "the header echoes this request's id; the body is the first response's");
        assertEquals(1, A.calls("phi3:mini"));
        assertEquals(1, count("llmpool.idempotency.events", "event", "replayed"));
    }

    @Test
    void aRepeatWhileTheFirstIsRunningWaitsForItsResponse() {
        CountDownLatch release = holdAnswers(A, "phi3:mini", "slow answer");
        CompletableFuture<HttpResponse<String>> first;
        CompletableFuture<HttpResponse<String>> repeat;
        try {
            first = inferAsync(BODY, KEY, "order-2");
            assertTrue(eventually(Duration.ofSeconds(10), () -> A.inFlight("phi3:mini") == 1));
            repeat = inferAsync(BODY, KEY, "order-2");
            assertTrue(eventually(Duration.ofSeconds(10), () -> count("llmpool.idempotency.events", "event", "waited") == 1),
                    "the repeat waits for the first");
        } finally {
            release.countDown();
        }
        assertEquals(200, first.join().statusCode());
        assertEquals(first.join().body(), repeat.join().body());
        assertEquals("slow answer", json(repeat.join()).path("content").asText());
        assertEquals(1, A.calls("phi3:mini"), "no second backend call");
    }

    @Test
    void sameKeyWithAnotherBodyIsRefusedWithAClearMessage() {
        assertEquals(200, infer(BODY, KEY, "order-3").statusCode());
        HttpResponse<String> reused = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"charge twice\"}", KEY, "order-3");
        assertEquals(409, reused.statusCode(), reused.body());
        JsonNode error = json(reused).path("error");
        assertEquals("idempotency_key_reused", error.path("code").asText());
        assertEquals("Idempotency-Key", error.path("field").asText());
        assertTrue(error.path("message").asText().contains("different request body"), error.toString());
        assertFalse(json(reused).path("request_id").asText().isEmpty());
        assertEquals(1, A.calls("phi3:mini"));
    }

    @Test
    void anotherBodyIsRefusedAlsoWhileTheFirstIsRunning() {
        CountDownLatch release = holdAnswers(A, "phi3:mini", "slow answer");
        try {
            CompletableFuture<HttpResponse<String>> first = inferAsync(BODY, KEY, "order-4");
            assertTrue(eventually(Duration.ofSeconds(10), () -> A.inFlight("phi3:mini") == 1));
            HttpResponse<String> reused = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"other\"}", KEY, "order-4");
            assertEquals(409, reused.statusCode(), reused.body());
            release.countDown();
            assertEquals(200, first.join().statusCode());
        } finally {
            release.countDown();
        }
    }

    @Test
    void aFailedFirstRequestFreesTheKey() {
        A.model("phi3:mini").failWith(500, "{\"error\":\"model crashed\"}");
        assertEquals(503, infer(BODY, KEY, "order-5").statusCode());
        A.model("phi3:mini").reset();
        HttpResponse<String> retry = infer(BODY, KEY, "order-5");
        assertEquals(200, retry.statusCode(), retry.body());
        assertTrue(retry.headers().firstValue("Idempotent-Replayed").isEmpty());
        assertEquals(2, A.calls("phi3:mini"));
    }

    @Test
    void anUnusableKeyIsRejected() {
        HttpResponse<String> r = infer(BODY, KEY, "k".repeat(256));
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("Idempotency-Key", json(r).path("error").path("field").asText());
        assertEquals(0, A.calls("phi3:mini"));
    }
}
