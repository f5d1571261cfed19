package dev.llmpool.ensemble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * Who wins under each strategy, and why, on scripted backends: phi3 (weight 0.6), llama31 (0.8), gemma2 (0.7).
 * Latencies are far apart (tens of ms against {@link #SLOW}), deadlines leave a fast model seconds to answer, and
 * FASTEST's backup fires after 1 s here: no assertion depends on the machine's speed, even on a loaded one.
 */
class EnsembleStrategiesTest extends PoolTestSupport {

    /** A model that answers long after every deadline and bound here. */
    private static final Duration SLOW = Duration.ofSeconds(10);

    @Override
    protected String extraConfig() {
        return """
                pool.tasks.vote3.providers=phi3,llama31,gemma2
                pool.tasks.vote3.strategy=VOTING
                pool.tasks.vote3.prompt=prompts/expand_queries.md
                pool.tasks.agree3.providers=phi3,llama31,gemma2
                pool.tasks.agree3.strategy=CONSENSUS
                pool.tasks.agree3.prompt=prompts/expand_queries.md
                pool.tasks.judged.providers=phi3,gemma2
                pool.tasks.judged.strategy=JUDGE
                pool.tasks.judged.judge=llama31
                pool.tasks.judged.prompt=prompts/expand_queries.md
                pool.tasks.weighed.providers=light_phi3,heavy_llama,light_gemma
                pool.tasks.weighed.strategy=WEIGHTED
                pool.tasks.weighed.prompt=prompts/expand_queries.md
                pool.providers.light_phi3.url=%s
                pool.providers.light_phi3.model=phi3:mini
                pool.providers.light_phi3.weight=0.5
                pool.providers.heavy_llama.url=%s
                pool.providers.heavy_llama.model=llama3.1:8b
                pool.providers.heavy_llama.weight=0.7
                pool.providers.light_gemma.url=%s
                pool.providers.light_gemma.model=gemma2:9b
                pool.providers.light_gemma.weight=0.5
                pool.limits.max-deadline-ms=20000
                pool.tasks.expand_queries.hedge-after-ms=1000
                """.formatted(A.url(), B.url(), C.url());
    }

    private JsonNode ok(String json) {
        HttpResponse<String> r = infer(json);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    /** Backend calls of the provider the pool has taken in (llmpool_provider_calls_seconds_count). */
    private long providerCalls(String provider) {
        Timer t = context.getRegistry().findSingleByType(MeterRegistry.class).find("llmpool.provider.calls")
                .tag("provider", provider).timer();
        return t == null ? 0 : t.count();
    }

    private static long timed(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1_000_000;
    }

    // --- FASTEST -------------------------------------------------------------------------------------

    @Test
    void fastestFiresTheBackupWhenTheFirstIsSlowAndAnswersLongBeforeIt() {
        A.model("phi3:mini").latency(SLOW);
        // A 200 within 3 s, while phi3 needs 10: answered after the hedge delay (1 s), long before the slow model.
        JsonNode body = ok("{\"task\":\"expand_queries\",\"prompt\":\"x\",\"deadline_ms\":3000}");
        assertEquals("llama31", body.path("winner_provider").asText());
        assertTrue(body.path("hedged").asBoolean(), "a backup was fired");
        assertEquals(2, body.path("models_queried").size());
        assertEquals(1, B.calls("llama3.1:8b"));
    }

    @Test
    void fastestWithAFastFirstModelFiresNoBackup() {
        JsonNode body = ok("{\"task\":\"expand_queries\",\"prompt\":\"x\"}");
        assertFalse(body.path("hedged").asBoolean(true));
        assertEquals(1, A.calls("phi3:mini"));
        assertEquals(0, B.calls("llama3.1:8b"), "the fixture saw one call only");
    }

    @Test
    void fastestMovesOnAtOnceWhenTheFirstModelFails() {
        A.model("phi3:mini").failWith(500, "{\"error\":\"boom\"}");
        JsonNode[] body = new JsonNode[1];
        long ms = timed(() -> body[0] = ok("{\"task\":\"expand_queries\",\"prompt\":\"x\"}"));
        assertEquals("llama31", body[0].path("winner_provider").asText());
        assertFalse(body[0].path("hedged").asBoolean(true), "a fallback after a failure is not a hedge");
        // Not a hedge (above) is what shows it moved on at once; the bound only catches a wait for the deadline (20 s).
        assertTrue(ms < 5000, "took " + ms + " ms");
    }

    @Test
    void slowLoserIsCutOffByTheDeadlineNotLeftRunning() {
        A.model("phi3:mini").latency(Duration.ofSeconds(30));
        // The backup answers about 1 s in (the hedge delay): 3 s before the deadline ends the loser.
        ok("{\"task\":\"expand_queries\",\"prompt\":\"x\",\"deadline_ms\":4000}");
        assertEquals(1, A.inFlight("phi3:mini"), "the losing call is still running right after the answer");
        assertTrue(eventually(Duration.ofSeconds(15), () -> A.inFlight("phi3:mini") == 0),
                "the losing call ended at the request's deadline, long before its 30 s");
    }

    // --- VOTING ---------------------------------------------------------------------------------------

    @Test
    void votingMajorityOfTwoOutOfThreeWins() {
        A.model("phi3:mini").answer("Paris");
        B.model("llama3.1:8b").answer("London");
        // Arrives last, so all three votes are in (two early agreeing answers would decide at once): gemma2 answers
        // once the pool has taken in the other two answers, however slow a loaded machine makes them.
        C.model("gemma2:9b").answer(request -> {
            eventually(Duration.ofSeconds(10), () -> providerCalls("phi3") == 1 && providerCalls("llama31") == 1);
            return "  paris ";
        });
        JsonNode body = ok("{\"task\":\"vote3\",\"prompt\":\"capital of France?\"}");
        assertEquals("VOTING", body.path("strategy_used").asText());
        assertEquals("paris", body.path("content").asText().strip().toLowerCase());
        assertEquals(2, body.path("votes").path("paris").asInt(), body.toString());
        assertEquals(1, body.path("votes").path("london").asInt(), body.toString());
        assertEquals(0.667, body.path("agreement").asDouble(), 0.001);
    }

    @Test
    void votingFinishesAsSoonAsTheOutcomeCannotChange() {
        A.model("phi3:mini").answer("yes");
        B.model("llama3.1:8b").answer("Yes");
        C.model("gemma2:9b").answer("no").latency(SLOW);
        // A 200 within 3 s, while gemma2 needs 10: it did not wait for the third, slow model.
        JsonNode body = ok("{\"task\":\"vote3\",\"prompt\":\"x\",\"deadline_ms\":3000}");
        assertEquals("yes", body.path("content").asText().toLowerCase());
    }

    @Test
    void votingThreeWaySplitGoesToTheHighestWeight() {
        A.model("phi3:mini").answer("red");
        B.model("llama3.1:8b").answer("green");
        C.model("gemma2:9b").answer("blue");
        JsonNode body = ok("{\"task\":\"vote3\",\"prompt\":\"x\"}");
        assertEquals("llama31", body.path("winner_provider").asText(), "llama31 has the highest weight (0.8)");
        assertEquals(0.333, body.path("agreement").asDouble(), 0.001);
        assertEquals(3, body.path("votes").size());
    }

    @Test
    void votingOnJsonIgnoresKeyOrderAndSpacing() {
        A.model("phi3:mini").answer("{\"b\": 2, \"a\": 1}");
        B.model("llama3.1:8b").answer("{\"c\": 3}");
        C.model("gemma2:9b").answer("{\"a\":1,\"b\":2}");
        JsonNode body = ok("{\"task\":\"vote3\",\"prompt\":\"x\",\"format\":\"json\"}");
        assertEquals(2, body.path("votes").path("{\"a\":1,\"b\":2}").asInt(), body.toString());
        assertTrue(body.path("winner_provider").asText().matches("phi3|gemma2"));
    }

    @Test
    void votingDecidesOnTwoAnswersWhenTheDeadlineComes() {
        A.model("phi3:mini").answer("alpha");
        B.model("llama3.1:8b").answer("beta");
        C.model("gemma2:9b").answer("gamma").latency(SLOW);
        JsonNode body = ok("{\"task\":\"vote3\",\"prompt\":\"x\",\"deadline_ms\":2000}");
        assertEquals("beta", body.path("content").asText(), "two answers are a quorum; the tie goes to weight");
        assertEquals(2, body.path("votes").size());
    }

    @Test
    void votingWithOnlyOneAnswerAtTheDeadlineIs504() {
        B.model("llama3.1:8b").latency(SLOW);
        C.model("gemma2:9b").latency(SLOW);
        HttpResponse<String> r = infer("{\"task\":\"vote3\",\"prompt\":\"x\",\"deadline_ms\":400}");
        assertEquals(504, r.statusCode(), r.body());
        assertEquals("deadline_exceeded", json(r).path("error").path("code").asText());
    }

    // --- WEIGHTED -------------------------------------------------------------------------------------
    // A score is the weight times the provider's live factor, which falls with the call's measured latency: with the
    // shipped weights 150 ms more for llama31 than for gemma2 would already turn the outcome. Task "weighed" (0.5,
    // 0.7, 0.5; every model 500 ms) keeps both outcomes until one call is some 600 ms slower than another.

    private void answerAfterHalfASecond(String phi3, String llama, String gemma) {
        A.model("phi3:mini").answer(phi3).latency(Duration.ofMillis(500));
        B.model("llama3.1:8b").answer(llama).latency(Duration.ofMillis(500));
        C.model("gemma2:9b").answer(gemma).latency(Duration.ofMillis(500));
    }

    @Test
    void weightedIdenticalAnswersAddUpAgainstAHeavierSingleAnswer() {
        answerAfterHalfASecond("X", "Y", "x");
        JsonNode body = ok("{\"task\":\"weighed\",\"prompt\":\"x\"}");
        assertEquals("WEIGHTED", body.path("strategy_used").asText());
        assertEquals("x", body.path("content").asText().toLowerCase(), "0.5 + 0.5 outweighs 0.7");
    }

    @Test
    void weightedAllDifferentGoesToTheHeaviestProvider() {
        answerAfterHalfASecond("one", "two", "three");
        assertEquals("heavy_llama", ok("{\"task\":\"weighed\",\"prompt\":\"x\"}").path("winner_provider").asText());
    }

    // --- CONSENSUS ------------------------------------------------------------------------------------

    @Test
    void consensusBelowTheThresholdIs422WithTheCandidates() {
        A.model("phi3:mini").answer("one");
        B.model("llama3.1:8b").answer("two");
        C.model("gemma2:9b").answer("three");
        HttpResponse<String> r = infer("{\"task\":\"agree3\",\"prompt\":\"x\"}");
        assertEquals(422, r.statusCode(), r.body());
        JsonNode error = json(r).path("error");
        assertEquals("consensus_not_reached", error.path("code").asText());
        assertEquals(3, error.path("candidates").size());
        assertTrue(error.path("agreement").asDouble() < error.path("threshold").asDouble());
    }

    @Test
    void consensusAtTwoThirdsSucceeds() {
        A.model("phi3:mini").answer("same");
        B.model("llama3.1:8b").answer("same");
        C.model("gemma2:9b").answer("other");
        JsonNode body = ok("{\"task\":\"agree3\",\"prompt\":\"x\"}");
        assertEquals("CONSENSUS", body.path("strategy_used").asText());
        assertEquals("same", body.path("content").asText());
    }

    // --- JUDGE ----------------------------------------------------------------------------------------

    private void judgeAnswers(String verdict) {
        B.model("llama3.1:8b").answer(req -> verdict);
    }

    @Test
    void judgePicksCandidateTwo() {
        A.model("phi3:mini").answer("short answer");
        C.model("gemma2:9b").answer("thorough answer");
        judgeAnswers("{\"choice\": 2, \"reason\": \"more complete\"}");
        JsonNode body = ok("{\"task\":\"judged\",\"prompt\":\"explain\"}");
        assertEquals("thorough answer", body.path("content").asText());
        assertEquals("gemma2", body.path("winner_provider").asText());
        assertEquals(2, body.path("judge").path("choice").asInt());
        assertEquals("more complete", body.path("judge").path("reason").asText());
        assertEquals("llama3.1:8b", body.path("judge").path("model").asText());
        String judgePrompt = B.lastRequest("llama3.1:8b").path("messages").path(0).path("content").asText();
        assertTrue(judgePrompt.contains("[1]\nshort answer") && judgePrompt.contains("[2]\nthorough answer"), judgePrompt);
        assertTrue(judgePrompt.contains("explain"), "the judge sees the request");
        assertEquals("json", B.lastRequest("llama3.1:8b").path("format").asText());
    }

    @Test
    void judgeAnsweringGarbageFallsBackToTheBestCandidateByWeight() {
        judgeAnswers("I like the second one best!");
        JsonNode body = ok("{\"task\":\"judged\",\"prompt\":\"x\"}");
        assertEquals("gemma2", body.path("winner_provider").asText(), "gemma2 (0.7) outweighs phi3 (0.6)");
        assertTrue(body.path("judge").path("skipped").asBoolean(), body.toString());
    }

    @Test
    void judgeDownFallsBackToTheBestCandidateByWeight() {
        B.stop();
        JsonNode body = ok("{\"task\":\"judged\",\"prompt\":\"x\"}");
        assertEquals("gemma2", body.path("winner_provider").asText());
        assertTrue(body.path("judge").path("skipped").asBoolean(), body.toString());
        assertTrue(body.path("judge").path("reason").asText().startsWith("judge failed"), body.toString());
    }

    @Test
    void judgeWithOneCandidateAtTheGatheringDeadlineReturnsIt() {
        C.model("gemma2:9b").latency(SLOW);
        judgeAnswers("{\"choice\": 1, \"reason\": \"only one\"}");
        // The candidates get 60% of the 3 s: time enough for phi3, not for gemma2 (10 s); a 200 within the 3 s
        // shows the request did not wait for it.
        JsonNode body = ok("{\"task\":\"judged\",\"prompt\":\"x\",\"deadline_ms\":3000}");
        assertEquals("phi3", body.path("winner_provider").asText());
        assertTrue(body.path("judge").path("skipped").asBoolean());
        assertEquals(0, B.calls("llama3.1:8b"), "nothing to judge");
    }

    @Test
    void judgeWithNoCandidateBeforeTheDeadlineIs504() {
        A.model("phi3:mini").latency(SLOW);
        C.model("gemma2:9b").latency(SLOW);
        HttpResponse<String> r = infer("{\"task\":\"judged\",\"prompt\":\"x\",\"deadline_ms\":500}");
        assertEquals(504, r.statusCode(), r.body());
    }

    @Test
    void requestCanOverrideTheTasksStrategy() {
        A.model("phi3:mini").answer("same");
        B.model("llama3.1:8b").answer("same");
        JsonNode body = ok("{\"task\":\"expand_queries\",\"prompt\":\"x\",\"strategy\":\"VOTING\"}");
        assertEquals("VOTING", body.path("strategy_used").asText());
        assertEquals(2, body.path("votes").path("same").asInt());
    }
}
