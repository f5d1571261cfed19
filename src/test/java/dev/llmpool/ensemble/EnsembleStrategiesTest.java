package dev.llmpool.ensemble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * Who wins under each strategy, and why, on scripted backends: phi3 (weight 0.6), llama31 (0.8), gemma2 (0.7).
 * Latencies are far apart (tens of ms against seconds) so no assertion depends on the machine's speed.
 */
class EnsembleStrategiesTest extends PoolTestSupport {

    private static final Duration SLOW = Duration.ofSeconds(3);

    @Override
    protected String extraConfig() {
        return """
                pool.tasks.vote3.providers=phi3,llama31,gemma2
                pool.tasks.vote3.strategy=VOTING
                pool.tasks.vote3.prompt=prompts/expand_queries.md
                pool.tasks.weigh3.providers=phi3,llama31,gemma2
                pool.tasks.weigh3.strategy=WEIGHTED
                pool.tasks.weigh3.prompt=prompts/expand_queries.md
                pool.tasks.agree3.providers=phi3,llama31,gemma2
                pool.tasks.agree3.strategy=CONSENSUS
                pool.tasks.agree3.prompt=prompts/expand_queries.md
                pool.tasks.judged.providers=phi3,gemma2
                pool.tasks.judged.strategy=JUDGE
                pool.tasks.judged.judge=llama31
                pool.tasks.judged.prompt=prompts/expand_queries.md
                """;
    }

    private JsonNode ok(String json) {
        HttpResponse<String> r = infer(json);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
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
        JsonNode[] body = new JsonNode[1];
        long ms = timed(() -> body[0] = ok("{\"task\":\"expand_queries\",\"prompt\":\"x\"}"));
        assertEquals("llama31", body[0].path("winner_provider").asText());
        assertTrue(body[0].path("hedged").asBoolean(), "a backup was fired");
        assertEquals(2, body[0].path("models_queried").size());
        assertTrue(ms < 1500, "answered after the hedge delay, not after the slow model's 3 s: " + ms + " ms");
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
        assertTrue(ms < 2000, "took " + ms + " ms");
    }

    @Test
    void slowLoserIsCutOffByTheDeadlineNotLeftRunning() {
        A.model("phi3:mini").latency(Duration.ofSeconds(10));
        ok("{\"task\":\"expand_queries\",\"prompt\":\"x\",\"deadline_ms\":1000}");
        assertEquals(1, A.inFlight("phi3:mini"), "the losing call is still running right after the answer");
        assertTrue(eventually(Duration.ofSeconds(3), () -> A.inFlight("phi3:mini") == 0),
                "the losing call ended at the request's deadline, long before its 10 s");
    }

    // --- VOTING ---------------------------------------------------------------------------------------

    @Test
    void votingMajorityOfTwoOutOfThreeWins() {
        A.model("phi3:mini").answer("Paris");
        B.model("llama3.1:8b").answer("London");
        // Arrives last, so all three votes are in (two early agreeing answers would decide at once).
        C.model("gemma2:9b").answer("  paris ").latency(Duration.ofMillis(300));
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
        JsonNode[] body = new JsonNode[1];
        long ms = timed(() -> body[0] = ok("{\"task\":\"vote3\",\"prompt\":\"x\"}"));
        assertEquals("yes", body[0].path("content").asText().toLowerCase());
        assertTrue(ms < 1500, "did not wait for the third, slow model: " + ms + " ms");
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
        JsonNode body = ok("{\"task\":\"vote3\",\"prompt\":\"x\",\"deadline_ms\":500}");
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

    @Test
    void weightedIdenticalAnswersAddUpAgainstAHeavierSingleAnswer() {
        A.model("phi3:mini").answer("X");
        B.model("llama3.1:8b").answer("Y");
        C.model("gemma2:9b").answer("x");
        JsonNode body = ok("{\"task\":\"weigh3\",\"prompt\":\"x\"}");
        assertEquals("WEIGHTED", body.path("strategy_used").asText());
        assertEquals("x", body.path("content").asText().toLowerCase(), "0.6 + 0.7 outweighs 0.8");
    }

    @Test
    void weightedAllDifferentGoesToTheHeaviestProvider() {
        A.model("phi3:mini").answer("one");
        B.model("llama3.1:8b").answer("two");
        C.model("gemma2:9b").answer("three");
        assertEquals("llama31", ok("{\"task\":\"weigh3\",\"prompt\":\"x\"}").path("winner_provider").asText());
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
        JsonNode[] body = new JsonNode[1];
        long ms = timed(() -> body[0] = ok("{\"task\":\"judged\",\"prompt\":\"x\",\"deadline_ms\":1000}"));
        assertEquals("phi3", body[0].path("winner_provider").asText());
        assertTrue(body[0].path("judge").path("skipped").asBoolean());
        assertEquals(0, B.calls("llama3.1:8b"), "nothing to judge");
        assertTrue(ms < 1500, "took " + ms + " ms");
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
