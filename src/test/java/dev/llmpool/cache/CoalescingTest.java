package dev.llmpool.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** Identical requests in flight at once share one backend call, and its success or its failure. */
class CoalescingTest extends CacheTestSupport {

    /** Room for every request to arrive while the first one's backend call is held back. */
    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\n";
    }

    @Test
    void fiftyConcurrentIdenticalRequestsMakeOneBackendCall() {
        CountDownLatch release = holdAnswers(A, "phi3:mini", "one answer for all");
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                pending.add(inferAsync(body("same question")));
            }
            assertTrue(eventually(Duration.ofSeconds(15), () -> count("llmpool.cache.requests", "result", "coalesced") == 49),
                    "49 requests wait for the first; coalesced=" + count("llmpool.cache.requests", "result", "coalesced"));
        } finally {
            release.countDown();
        }
        Set<String> requestIds = new HashSet<>();
        for (CompletableFuture<HttpResponse<String>> f : pending) {
            HttpResponse<String> r = f.join();
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = json(r);
            assertEquals("one answer for all", body.path("content").asText());
            requestIds.add(body.path("request_id").asText());
        }
        assertEquals(1, A.calls("phi3:mini"), "one backend call for fifty requests");
        assertEquals(50, requestIds.size(), "each request keeps its own request id");
    }

    @Test
    void whenTheSharedCallFailsEveryWaiterGetsTheErrorAndTheNextRequestTriesAgain() {
        CountDownLatch release = holdThenFail(A, "phi3:mini");
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                pending.add(inferAsync(body("doomed question")));
            }
            assertTrue(eventually(Duration.ofSeconds(15), () -> count("llmpool.cache.requests", "result", "coalesced") == 9));
        } finally {
            release.countDown();
        }
        for (CompletableFuture<HttpResponse<String>> f : pending) {
            HttpResponse<String> r = f.join();
            assertEquals(503, r.statusCode(), r.body());
            assertEquals("no_provider_available", json(r).path("error").path("code").asText());
        }
        assertEquals(1, A.calls("phi3:mini"));

        A.model("phi3:mini").answer("recovered");
        HttpResponse<String> next = infer(body("doomed question"));
        assertEquals(200, next.statusCode(), next.body());
        assertEquals("recovered", json(next).path("content").asText());
        assertEquals(2, A.calls("phi3:mini"), "the failure was not kept: the next request called the backend");
    }
}
