package dev.llmpool.ensemble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.resilience.ProviderGuards;

/**
 * A call whose answer nobody needs any more is stopped, not left to run until the deadline: the losers once the
 * outcome is decided, every call once the caller hangs up. Stopping resets the backend connection (the fixture
 * sees its caller go, as Ollama does and stops generating); the provider's breaker counts it neither way and its
 * bulkhead slot is free again. Deadlines here are 20 s, so "stopped" cannot be mistaken for "timed out".
 */
class CallCancellationTest extends PoolTestSupport {

    private static final Duration NEVER = Duration.ofSeconds(60);

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=30000
                pool.tasks.race.providers=phi3,llama31
                pool.tasks.race.strategy=FASTEST
                pool.tasks.race.hedge-after-ms=100
                pool.tasks.race.deadline-ms=20000
                pool.tasks.race.prompt=prompts/expand_queries.md
                pool.tasks.vote3.providers=phi3,llama31,gemma2
                pool.tasks.vote3.strategy=VOTING
                pool.tasks.vote3.deadline-ms=20000
                pool.tasks.vote3.prompt=prompts/expand_queries.md
                """;
    }

    @Test
    void theLosingCallIsStoppedOnceTheHedgeWins() {
        A.model("phi3:mini").latency(NEVER);
        var r = infer("{\"task\":\"race\",\"prompt\":\"x\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("llama31", json(r).path("winner_provider").asText());
        assertTrue(eventually(Duration.ofSeconds(10), () -> A.inFlight("phi3:mini") == 0),
                "phi3's call was stopped, 10 s before the request's deadline");
        assertCountedNeitherWay("phi3");
    }

    @Test
    void votingStopsTheCallItNoLongerNeeds() {
        C.model("gemma2:9b").latency(NEVER);
        A.model("phi3:mini").answer("same");
        B.model("llama3.1:8b").answer("same");
        JsonNode body = json(infer("{\"task\":\"vote3\",\"prompt\":\"x\"}"));
        assertEquals("same", body.path("content").asText(), body.toString());
        assertTrue(eventually(Duration.ofSeconds(10), () -> C.inFlight("gemma2:9b") == 0),
                "two agreeing answers decided it: gemma2's call was stopped");
        assertCountedNeitherWay("gemma2");
    }

    @Test
    void aCallerWhoHangsUpStopsEveryCallAndIsCountedAs499() throws Exception {
        A.model("phi3:mini").latency(NEVER);
        B.model("llama3.1:8b").latency(NEVER);
        CountDownLatch llamaCalled = B.onCall("llama3.1:8b");
        String json = "{\"task\":\"race\",\"prompt\":\"x\"}";
        try (Socket caller = new Socket("127.0.0.1", port)) {
            OutputStream out = caller.getOutputStream();
            out.write(("POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + json.length() + "\r\n\r\n" + json).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTrue(llamaCalled.await(10, TimeUnit.SECONDS), "the hedge was fired: both calls are running");
        }
        assertTrue(eventually(Duration.ofSeconds(10),
                () -> A.inFlight("phi3:mini") == 0 && B.inFlight("llama3.1:8b") == 0),
                "both calls stopped when the caller left, long before the 20 s deadline");
        assertCountedNeitherWay("phi3");
        assertCountedNeitherWay("llama31");
        assertTrue(eventually(Duration.ofSeconds(5), () -> {
            Timer gone = context.getRegistry().findSingleByType(MeterRegistry.class).find("llmpool.requests")
                    .tag("task", "race").tag("status", "499").timer();
            return gone != null && gone.count() == 1;
        }), "the request is counted as closed by the client (499)");
    }

    /** Neither a success nor a failure in the provider's breaker, and its bulkhead slot is back. */
    private void assertCountedNeitherWay(String provider) {
        CircuitBreaker breaker = context.getRegistry()
                .lookupByNameAndType("circuitBreakerRegistry", CircuitBreakerRegistry.class)
                .circuitBreaker("breaker-" + provider);
        assertTrue(eventually(Duration.ofSeconds(5), () -> breaker.getMetrics().getNumberOfBufferedCalls() == 0
                        && breaker.getState() == CircuitBreaker.State.CLOSED),
                provider + ": " + breaker.getMetrics().getNumberOfFailedCalls() + " failed, "
                        + breaker.getMetrics().getNumberOfSuccessfulCalls() + " succeeded, " + breaker.getState());
        Bulkhead bulkhead = context.getRegistry().lookupByNameAndType("providerGuards", ProviderGuards.class)
                .bulkhead(provider);
        assertTrue(eventually(Duration.ofSeconds(5), () -> bulkhead.getMetrics().getAvailableConcurrentCalls()
                == bulkhead.getMetrics().getMaxAllowedConcurrentCalls()), provider + ": its bulkhead slot is free");
    }
}
