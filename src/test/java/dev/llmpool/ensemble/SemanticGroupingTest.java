package dev.llmpool.ensemble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * {@code similarity=semantic}: answers that say the same thing in other words form one group for VOTING, WEIGHTED
 * and CONSENSUS; under {@code exact} (the default) they do not. Backends: phi3 (weight 0.6), llama31 (0.8), gemma2
 * (0.7). The embedding model runs for real (it ships in the jar).
 */
class SemanticGroupingTest extends PoolTestSupport {

    private static final String PARIS_1 = "Paris is the capital of France.";
    private static final String PARIS_2 = "The capital of France is Paris.";

    @Override
    protected String extraConfig() {
        StringBuilder config = new StringBuilder("pool.limits.max-deadline-ms=20000\n");
        for (String[] task : new String[][] {{"vote_meaning", "VOTING", "semantic"}, {"agree_meaning", "CONSENSUS", "semantic"},
                {"weigh_meaning", "WEIGHTED", "semantic"}, {"agree_text", "CONSENSUS", "exact"}}) {
            String k = "pool.tasks." + task[0] + ".";
            config.append(k).append("providers=phi3,llama31,gemma2\n")
                    .append(k).append("strategy=").append(task[1]).append('\n')
                    .append(k).append("similarity=").append(task[2]).append('\n')
                    .append(k).append("prompt=prompts/expand_queries.md\n")
                    .append(k).append("deadline-ms=20000\n");
        }
        return config.toString();
    }

    @BeforeEach
    void answers() {
        // loaded at start, because tasks here use similarity=semantic; until then answers would group by text
        AnswerEmbeddings embeddings = context.getRegistry().lookupByNameAndType("answerEmbeddings", AnswerEmbeddings.class);
        assertTrue(eventually(Duration.ofSeconds(120), embeddings::ready), "the embedding model loaded");
        A.model("phi3:mini").answer(PARIS_1);
        B.model("llama3.1:8b").answer(PARIS_2);
        C.model("gemma2:9b").answer("Berlin.");
    }

    private JsonNode ok(String task) {
        HttpResponse<String> r = infer("{\"task\":\"" + task + "\",\"prompt\":\"What is the capital of France?\"}");
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private static List<Integer> voteCounts(JsonNode body) {
        List<Integer> counts = new ArrayList<>();
        body.path("votes").forEach(v -> counts.add(v.asInt()));
        counts.sort(null);
        return counts;
    }

    @Test
    void votingPicksTheParisGroupWithTwoVotes() {
        JsonNode body = ok("vote_meaning");
        // the group's representative is its highest-weighted member's answer: llama31's (0.8) over phi3's (0.6)
        assertEquals(PARIS_2, body.path("content").asText(), body.toString());
        assertEquals("llama31", body.path("winner_provider").asText(), body.toString());
        List<Integer> counts = voteCounts(body);
        assertEquals(2, counts.get(counts.size() - 1), body.toString());
        assertEquals(2, body.path("votes").path("the capital of france is paris.").asInt(), body.toString());
        assertTrue(counts.size() == 1 || counts.equals(List.of(1, 2)), "Berlin is a group of its own: " + body);
    }

    @Test
    void consensusAtTwoThirdsSucceedsWhenAnswersAgreeInMeaning() {
        JsonNode body = ok("agree_meaning");
        assertEquals(PARIS_2, body.path("content").asText(), body.toString());
        // CONSENSUS completes as soon as success is certain: with the two Paris answers in first, Berlin is not
        // counted (2/2); with all three in, 2/3. Either way the Paris group holds both Paris answers.
        double agreement = body.path("agreement").asDouble();
        assertTrue(Math.abs(agreement - 0.667) < 0.001 || agreement == 1.0, body.toString());
        assertEquals(2, body.path("votes").path("the capital of france is paris.").asInt(), body.toString());
    }

    @Test
    void consensusWithExactGroupingDoesNotSucceed() {
        HttpResponse<String> r = infer("{\"task\":\"agree_text\",\"prompt\":\"What is the capital of France?\"}");
        assertEquals(422, r.statusCode(), r.body());
        assertEquals("consensus_not_reached", json(r).path("error").path("code").asText(), r.body());
        assertEquals(List.of(1, 1, 1), voteCounts(json(r).path("error")), r.body());
    }

    @Test
    void weightedAddsUpTheScoresOfAnswersThatMeanTheSame() {
        // llama31 alone (0.8) outweighs gemma2 (0.7); with phi3's 0.6 the Paris group wins by more
        C.model("gemma2:9b").answer("Berlin.");
        JsonNode body = ok("weigh_meaning");
        assertEquals(PARIS_2, body.path("content").asText(), body.toString());
        assertEquals(2, body.path("votes").path("the capital of france is paris.").asInt(), body.toString());
    }

    @Test
    void eachAnswerIsEmbeddedAndTimed() {
        Timer t = context.getRegistry().findSingleByType(MeterRegistry.class).find("llmpool.similarity.embedding").timer();
        long before = t == null ? 0 : t.count();
        ok("vote_meaning");
        Timer after = context.getRegistry().findSingleByType(MeterRegistry.class).find("llmpool.similarity.embedding").timer();
        assertTrue(after != null && after.count() - before >= 2, "the answers that decided were embedded");
    }
}
