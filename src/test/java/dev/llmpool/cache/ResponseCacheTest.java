package dev.llmpool.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.DefaultRegistry;
import org.junit.jupiter.api.Test;

import dev.llmpool.fixture.ManualTicker;

/** The response cache in this process (Caffeine), with a clock the tests move forward instead of sleeping. */
class ResponseCacheTest extends CacheTestSupport {

    private final ManualTicker ticker = new ManualTicker();

    /** Room to answer on a loaded machine (the shipped deadline is 1.5 s). */
    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\n";
    }

    @Override
    protected Registry createCamelRegistry() {
        Registry r = new DefaultRegistry();
        r.bind("cacheTicker", ticker);
        return r;
    }

    @Test
    void identicalRequestIsAnsweredFromTheCacheWithTheOriginalMetadata() {
        HttpResponse<String> first = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"p1\",\"temperature\":0.2}");
        HttpResponse<String> second = infer("{ \"temperature\": 0.20, \"prompt\": \"p1\", \"task\": \"enrich_metadata\" }");
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(200, second.statusCode(), second.body());
        JsonNode a = json(first);
        JsonNode b = json(second);
        assertFalse(a.path("from_cache").asBoolean(true));
        assertTrue(b.path("from_cache").asBoolean(false), second.body());
        assertEquals(1, A.calls("phi3:mini"), "the second answer came from the cache");
        for (String field : new String[] {"task", "content", "winner_model", "winner_provider", "strategy_used",
                "models_queried", "hedged", "usage"}) {
            assertEquals(a.path(field), b.path(field), field);
        }
        assertNotEquals(a.path("request_id"), b.path("request_id"), "the hit has its own request id");
        assertEquals(b.path("request_id").asText(), second.headers().firstValue("X-Request-Id").orElse(null));
        assertEquals(1, count("llmpool.cache.requests", "result", "miss"));
        assertEquals(1, count("llmpool.cache.requests", "result", "hit"));
    }

    @Test
    void entryExpiresAfterTheConfiguredTtl() {
        infer(body("p2"));
        ticker.advance(Duration.ofSeconds(899));
        assertTrue(json(infer(body("p2"))).path("from_cache").asBoolean(), "still fresh at 899 s of 900");
        ticker.advance(Duration.ofSeconds(2));
        assertFalse(json(infer(body("p2"))).path("from_cache").asBoolean(true), "expired after 900 s");
        assertEquals(2, A.calls("phi3:mini"));
        assertTrue(json(infer(body("p2"))).path("from_cache").asBoolean(), "the new answer is cached again");
    }

    @Test
    void everyFieldThatChangesTheAnswerIsPartOfTheKeyButTheDeadlineIsNot() {
        A.model("phi3:mini").answer("{\"k\": 1}"); // an answer every format below accepts
        String base = "{\"task\":\"enrich_metadata\",\"prompt\":\"p3\"";
        infer(base + "}");
        String[] different = {",\"max_tokens\":64", ",\"temperature\":0.7", ",\"format\":\"json\"",
                ",\"strategy\":\"VOTING\"", ",\"format\":{\"type\":\"object\"}"};
        for (String extra : different) {
            assertFalse(json(infer(base + extra + "}")).path("from_cache").asBoolean(true), extra);
        }
        assertEquals(1 + different.length, A.calls("phi3:mini"));
        assertTrue(json(infer(base + ",\"deadline_ms\":1400}")).path("from_cache").asBoolean(), "deadline_ms");
        assertTrue(json(infer(base + ",\"max_tokens\":256}")).path("from_cache").asBoolean(),
                "256 is the task's default max_tokens: the same request");
        assertEquals(1 + different.length, A.calls("phi3:mini"));
    }

    @Test
    void cacheFalseBypassesTheCacheAndRefreshesTheEntry() {
        assertEquals("phi3 says hello", json(infer(body("p4"))).path("content").asText());
        A.model("phi3:mini").answer("a fresher answer");
        JsonNode bypassed = json(infer("{\"task\":\"enrich_metadata\",\"prompt\":\"p4\",\"cache\":false}"));
        assertEquals("a fresher answer", bypassed.path("content").asText());
        assertFalse(bypassed.path("from_cache").asBoolean(true));
        JsonNode next = json(infer(body("p4")));
        assertEquals("a fresher answer", next.path("content").asText(), "the bypass refreshed the entry");
        assertTrue(next.path("from_cache").asBoolean());
        assertEquals(2, A.calls("phi3:mini"));
    }

    @Test
    void cacheControlNoCacheBypassesTheCacheAndRefreshesTheEntry() {
        infer(body("p5"));
        A.model("phi3:mini").answer("a fresher answer");
        JsonNode bypassed = json(infer(body("p5"), "Cache-Control", "max-age=0, No-Cache"));
        assertEquals("a fresher answer", bypassed.path("content").asText());
        assertFalse(bypassed.path("from_cache").asBoolean(true));
        JsonNode next = json(infer(body("p5")));
        assertEquals("a fresher answer", next.path("content").asText());
        assertTrue(next.path("from_cache").asBoolean());
        assertEquals(1, count("llmpool.cache.requests", "result", "bypass"));
    }

    @Test
    void reconfiguredTaskDoesNotServeStaleAnswers() throws Exception {
        infer(body("p6"));
        assertTrue(json(infer(body("p6"))).path("from_cache").asBoolean());
        // another template of the prompts directory (templates must live there: issue 23)
        A.model("phi3:mini").answer("answer under the new template");
        writeConfig(shippedConfig().replace("pool.tasks.enrich_metadata.prompt=prompts/enrich_metadata.md",
                "pool.tasks.enrich_metadata.prompt=prompts/recovery_plan.md"));
        assertTrue(eventually(Duration.ofSeconds(15), () -> !json(infer(body("p6"))).path("from_cache").asBoolean(true)),
                "after the reload the old entry is not served");
        JsonNode next = json(infer(body("p6")));
        assertEquals("answer under the new template", next.path("content").asText());
        assertTrue(next.path("from_cache").asBoolean());
        assertTrue(A.lastRequest("phi3:mini").toString().contains("Propose how to recover"));
    }

    @Test
    void failedAnswersAreNotStored() {
        A.model("phi3:mini").failWith(500, "{\"error\":\"model crashed\"}");
        assertEquals(503, infer(body("p7")).statusCode());
        A.model("phi3:mini").reset();
        HttpResponse<String> r = infer(body("p7"));
        assertEquals(200, r.statusCode(), r.body());
        assertFalse(json(r).path("from_cache").asBoolean(true));
        assertEquals(2, A.calls("phi3:mini"));
    }
}
