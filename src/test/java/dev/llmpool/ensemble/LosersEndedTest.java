package dev.llmpool.ensemble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.resilience.ProviderGuards;

/**
 * A call whose answer nobody needs any more is ended, not left generating: the losers once the outcome is decided
 * (FASTEST's first good answer, VOTING's majority), every call at the deadline or when the caller hangs up. The
 * fixture keeps "generating" (waiting out a 10 s latency) until its client closes the connection and counts that
 * as aborted, as Ollama and llama.cpp stop when the client goes. The provider's permit is free again before the
 * caller has its answer; the breaker counts a call that had not answered at the deadline as a timeout, and neither
 * way a call cut because the outcome was decided without it or because the caller left. Deadlines here are 20 s (but for the deadline
 * test), so "ended" cannot be mistaken for "timed out".
 */
class LosersEndedTest extends PoolTestSupport {

    private static final Duration GENERATING = Duration.ofSeconds(10);
    /** How long the fixture may take to see a closed connection (it polls the kernel's TCP table). */
    private static final Duration SEEN_WITHIN = Duration.ofSeconds(2);

    private final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void stopCallers() {
        callers.shutdownNow();
    }

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=30000
                pool.providers.phi3.max-concurrency=1
                pool.tasks.race.providers=phi3,llama31
                pool.tasks.race.strategy=FASTEST
                pool.tasks.race.hedge-after-ms=100
                pool.tasks.race.deadline-ms=20000
                pool.tasks.race.prompt=prompts/expand_queries.md
                pool.tasks.vote3.providers=phi3,llama31,gemma2
                pool.tasks.vote3.strategy=VOTING
                pool.tasks.vote3.deadline-ms=20000
                pool.tasks.vote3.prompt=prompts/expand_queries.md
                pool.tasks.short.providers=phi3,llama31
                pool.tasks.short.strategy=FASTEST
                pool.tasks.short.hedge-after-ms=50
                pool.tasks.short.deadline-ms=600
                pool.tasks.short.prompt=prompts/expand_queries.md
                pool.tasks.shared.providers=phi3
                pool.tasks.shared.deadline-ms=20000
                pool.tasks.shared.prompt=prompts/expand_queries.md
                """;
    }

    @Test
    void theHedgeWinsAndTheSlowCallIsAbortedWithItsPermitFreeForTheNextRequest() {
        A.model("phi3:mini").latency(GENERATING);
        var r = infer("{\"task\":\"race\",\"prompt\":\"x\"}");
        long answered = System.nanoTime();
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("llama31", json(r).path("winner_provider").asText());
        Bulkhead phi3 = guards().bulkhead("phi3");
        assertEquals(1, phi3.getMetrics().getAvailableConcurrentCalls(),
                "phi3's only permit was given back before the answer went out");
        assertTrue(eventually(SEEN_WITHIN, () -> A.aborted("phi3:mini") == 1), "phi3's connection was closed");
        System.out.printf("event=loser_abort_seen lag_ms=%d%n", (System.nanoTime() - answered) / 1_000_000);

        // max-concurrency is 1: the next request gets phi3 (not "busy"), and its loser is ended in turn
        var again = infer("{\"task\":\"race\",\"prompt\":\"y\"}");
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(2, A.calls("phi3:mini"), "the second request called phi3: its permit was free");
        assertTrue(eventually(SEEN_WITHIN, () -> A.aborted("phi3:mini") == 2));
        assertCountedNeitherWay("phi3"); // slower, not failing: losing a race is no mark against a provider
    }

    @Test
    void votingDecidedByTwoOfThreeAbortsTheThird() {
        C.model("gemma2:9b").latency(GENERATING);
        A.model("phi3:mini").answer("same");
        B.model("llama3.1:8b").answer("same");
        JsonNode body = json(infer("{\"task\":\"vote3\",\"prompt\":\"x\"}"));
        assertEquals("same", body.path("content").asText(), body.toString());
        assertTrue(eventually(SEEN_WITHIN, () -> C.aborted("gemma2:9b") == 1),
                "two agreeing answers decided it: gemma2's call was closed");
        assertEquals(0, A.aborted("phi3:mini") + B.aborted("llama3.1:8b"), "the answers that came were not aborted");
        assertCountedNeitherWay("gemma2");
    }

    @Test
    void theDeadlineAbortsEveryCall() {
        A.model("phi3:mini").hang();
        B.model("llama3.1:8b").hang();
        var r = infer("{\"task\":\"short\",\"prompt\":\"x\"}");
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(eventually(SEEN_WITHIN, () -> A.aborted("phi3:mini") == 1 && B.aborted("llama3.1:8b") == 1),
                "both hanging calls were closed at the deadline");
        assertEquals(1, guards().bulkhead("phi3").getMetrics().getAvailableConcurrentCalls());
        assertCountedAsTimeouts("phi3", 1);
        assertCountedAsTimeouts("llama31", 1);
    }

    @Test
    void aCallerWhoHangsUpEndsEveryBackendCall() throws Exception {
        A.model("phi3:mini").latency(GENERATING);
        B.model("llama3.1:8b").latency(GENERATING);
        CountDownLatch llamaCalled = B.onCall("llama3.1:8b");
        try (Socket caller = post("{\"task\":\"race\",\"prompt\":\"x\"}")) {
            assertTrue(llamaCalled.await(10, TimeUnit.SECONDS), "the hedge was fired: both calls are running");
        }
        assertTrue(eventually(SEEN_WITHIN, () -> A.aborted("phi3:mini") == 1 && B.aborted("llama3.1:8b") == 1),
                "both calls were closed when the caller left, long before their 10 s answers");
        assertCountedNeitherWay("phi3");
        assertCountedNeitherWay("llama31");
    }

    @Test
    void aCallerWhoHangsUpWhileAnIdenticalRequestWaitsForTheAnswerLeavesTheWorkRunning() throws Exception {
        A.model("phi3:mini").answer("shared answer").latency(Duration.ofMillis(1500));
        CountDownLatch called = A.onCall("phi3:mini");
        String json = "{\"task\":\"shared\",\"prompt\":\"same question\"}";
        CompletableFuture<HttpResponse<String>> waiter;
        try (Socket first = post(json)) {
            assertTrue(called.await(10, TimeUnit.SECONDS));
            waiter = CompletableFuture.supplyAsync(() -> infer(json), callers);
            assertTrue(eventually(Duration.ofSeconds(10), () -> coalesced() == 1), "the second request waits for the first");
        }
        HttpResponse<String> r = waiter.get(20, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("shared answer", json(r).path("content").asText());
        assertEquals(0, A.aborted("phi3:mini"), "the call another caller waited for was not ended");
        assertEquals(1, A.calls("phi3:mini"));
    }

    /** Sends a request on a raw socket, to be closed by the caller before the answer. */
    private Socket post(String json) throws java.io.IOException {
        Socket caller = new Socket("127.0.0.1", port);
        OutputStream out = caller.getOutputStream();
        out.write(("POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + json.length() + "\r\n\r\n" + json).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return caller;
    }

    private double coalesced() {
        Counter c = context.getRegistry().findSingleByType(MeterRegistry.class).find("llmpool.cache.requests")
                .tag("result", "coalesced").counter();
        return c == null ? 0 : c.count();
    }

    private ProviderGuards guards() {
        return context.getRegistry().lookupByNameAndType("providerGuards", ProviderGuards.class);
    }

    private CircuitBreaker breaker(String provider) {
        return context.getRegistry().lookupByNameAndType("circuitBreakerRegistry", CircuitBreakerRegistry.class)
                .circuitBreaker("breaker-" + provider);
    }

    /**
     * Calls that had not answered when the deadline passed count as timeouts (a provider that hangs still opens its
     * breaker), with their bulkhead slots back.
     */
    private void assertCountedAsTimeouts(String provider, int calls) {
        CircuitBreaker breaker = breaker(provider);
        assertTrue(eventually(Duration.ofSeconds(5), () -> breaker.getMetrics().getNumberOfFailedCalls() == calls),
                provider + ": " + breaker.getMetrics().getNumberOfFailedCalls() + " failed");
        assertEquals(0, breaker.getMetrics().getNumberOfSuccessfulCalls());
        Bulkhead bulkhead = guards().bulkhead(provider);
        assertEquals(bulkhead.getMetrics().getMaxAllowedConcurrentCalls(), bulkhead.getMetrics().getAvailableConcurrentCalls());
    }

    /** Neither a success nor a failure in the provider's breaker, and its bulkhead slots are all back. */
    private void assertCountedNeitherWay(String provider) {
        CircuitBreaker breaker = breaker(provider);
        assertTrue(eventually(Duration.ofSeconds(5), () -> breaker.getMetrics().getNumberOfBufferedCalls() == 0
                        && breaker.getState() == CircuitBreaker.State.CLOSED),
                provider + ": " + breaker.getMetrics().getNumberOfFailedCalls() + " failed, "
                        + breaker.getMetrics().getNumberOfSuccessfulCalls() + " succeeded, " + breaker.getState());
        Bulkhead bulkhead = guards().bulkhead(provider);
        assertTrue(eventually(Duration.ofSeconds(5), () -> bulkhead.getMetrics().getAvailableConcurrentCalls()
                == bulkhead.getMetrics().getMaxAllowedConcurrentCalls()), provider + ": its bulkhead slots are free");
    }

}
