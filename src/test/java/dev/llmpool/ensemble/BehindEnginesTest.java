package dev.llmpool.ensemble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * Issue 16 as users of real engines (llama.cpp, vLLM, Ollama) meet it: usage where the engines put it, their own
 * finish reason on every door, {@code format} answers that are not what was asked for, usage versus usage_total, a
 * 504 that names its providers, and the sampling options of issue 14 reaching the engines. The fixture is scripted
 * as the engines behave (usage on the finish chunk, answers cut at max_tokens with {@code finish_reason: length}).
 */
class BehindEnginesTest extends PoolTestSupport {

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.providers.gemma_openai.url=%s
                pool.providers.gemma_openai.kind=openai
                pool.providers.gemma_openai.model=gemma2:9b
                pool.tasks.openai_only.providers=gemma_openai
                pool.tasks.openai_only.prompt=prompts/expand_queries.md
                pool.tasks.fastjson.providers=phi3,llama31
                pool.tasks.fastjson.strategy=FASTEST
                pool.tasks.fastjson.deadline-ms=10000
                pool.tasks.fastjson.prompt=prompts/expand_queries.md
                pool.tasks.vote3.providers=phi3,llama31,gemma2
                pool.tasks.vote3.strategy=VOTING
                pool.tasks.vote3.deadline-ms=10000
                pool.tasks.vote3.prompt=prompts/expand_queries.md
                pool.tasks.short.providers=phi3,llama31
                pool.tasks.short.strategy=FASTEST
                pool.tasks.short.hedge-after-ms=50
                pool.tasks.short.deadline-ms=600
                pool.tasks.short.prompt=prompts/expand_queries.md
                """.formatted(C.url());
    }

    @Test
    void usageSentOnTheFinishChunkIsReportedForAStream() {
        C.model("gemma2:9b").answer("one two three four").usageInFinishChunk();
        HttpResponse<String> r = post("/v1/chat/completions", "application/json", """
                {"model":"openai_only","stream":true,"stream_options":{"include_usage":true},
                 "messages":[{"role":"user","content":"count"}]}""");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode usage = null;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonNode chunk = json(line.substring(6));
                if (chunk.path("usage").isObject()) {
                    usage = chunk.get("usage");
                }
            }
        }
        assertTrue(usage != null, r.body());
        assertEquals(4, usage.path("completion_tokens").asLong(), "the engine's count from its finish chunk: " + usage);
        assertTrue(usage.path("prompt_tokens").asLong() > 0, usage.toString());
    }

    @Test
    void theEnginesOwnFinishReasonReachesEveryDoor() {
        // Exactly max_tokens words, and the engine says "stop": a pool that guessed from the count would say "length".
        A.model("phi3:mini").answer("one two three");
        HttpResponse<String> infer = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"x\",\"max_tokens\":3}");
        assertEquals("stop", json(infer).path("finish_reason").asText(), infer.body());
        HttpResponse<String> openai = post("/v1/chat/completions", "application/json", """
                {"model":"enrich_metadata","max_tokens":3,"messages":[{"role":"user","content":"y"}]}""");
        assertEquals("stop", json(openai).path("choices").path(0).path("finish_reason").asText(), openai.body());

        A.model("phi3:mini").answer("one two three four five six");
        HttpResponse<String> cut = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"z\",\"max_tokens\":3}");
        assertEquals("length", json(cut).path("finish_reason").asText(), cut.body());
        HttpResponse<String> ollama = post("/api/chat", "application/json", """
                {"model":"enrich_metadata","stream":false,"options":{"num_predict":3},
                 "messages":[{"role":"user","content":"w"}]}""");
        assertEquals("length", json(ollama).path("done_reason").asText(), ollama.body());
    }

    @Test
    void aJsonAnswerCutAtMaxTokensIsAFailedAttemptAndFastestTriesTheNextProvider() {
        A.model("phi3:mini").answer("{\"a\": 1, \"b\": 2, \"c\": 3}");
        B.model("llama3.1:8b").answer("{\"ok\": true}");
        HttpResponse<String> r = infer("{\"task\":\"fastjson\",\"prompt\":\"x\",\"format\":\"json\",\"max_tokens\":4}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("llama31", json(r).path("winner_provider").asText(), r.body());
        assertEquals("{\"ok\": true}", json(r).path("content").asText());
    }

    @Test
    void answersThatMissTheSchemaDoNotVoteAndNoneValidIsA502NamingEachProvider() {
        String schema = "{\"type\":\"object\",\"required\":[\"city\"],\"properties\":{\"city\":{\"type\":\"string\"}}}";
        A.model("phi3:mini").answer("{\"town\": \"Oslo\"}");
        B.model("llama3.1:8b").answer("{\"city\": \"Oslo\"} Hope this helps!");
        C.model("gemma2:9b").answer("{\"city\": 42}");
        HttpResponse<String> r = infer("{\"task\":\"vote3\",\"prompt\":\"x\",\"format\":" + schema + "}");
        assertEquals(502, r.statusCode(), r.body());
        JsonNode error = json(r).path("error");
        assertEquals("invalid_model_output", error.path("code").asText(), r.body());
        assertEquals(Set.of("phi3", "llama31", "gemma2"), names(error.path("providers")), r.body());
        assertTrue(error.path("providers").path("llama31").asText().contains("not valid JSON"), r.body());
        assertTrue(error.path("providers").path("phi3").asText().contains("schema"), r.body());
        assertTrue(json(r).path("request_id").isTextual(), r.body());

        // one valid answer among them: it alone counts, so it wins
        C.model("gemma2:9b").answer("{\"city\": \"Bergen\"}");
        HttpResponse<String> ok = infer("{\"task\":\"vote3\",\"prompt\":\"y\",\"format\":" + schema + "}");
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("gemma2", json(ok).path("winner_provider").asText(), ok.body());
        assertEquals(1, json(ok).path("votes").size(), "the invalid answers did not vote: " + ok.body());
    }

    @Test
    void usageIsTheAnswersOwnAndUsageTotalEveryCall() {
        // three different answers: no early majority, so every voter answers before the outcome
        A.model("phi3:mini").answer("alpha answer here");
        B.model("llama3.1:8b").answer("beta answer here");
        C.model("gemma2:9b").answer("gamma answer here");
        HttpResponse<String> r = infer("{\"task\":\"vote3\",\"prompt\":\"a b c d\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode usage = json(r).path("usage");
        JsonNode total = json(r).path("usage_total");
        assertEquals(3, usage.path("completion_tokens").asLong(), "the chosen answer's own: " + r.body());
        assertEquals(9, total.path("completion_tokens").asLong(), "every voter's tokens: " + r.body());
        assertEquals(3 * usage.path("prompt_tokens").asLong(), total.path("prompt_tokens").asLong(), r.body());
    }

    @Test
    void a504NamesEachProvider() {
        A.model("phi3:mini").latency(Duration.ofSeconds(10));
        B.model("llama3.1:8b").latency(Duration.ofSeconds(10));
        HttpResponse<String> r = infer("{\"task\":\"short\",\"prompt\":\"x\"}");
        assertEquals(504, r.statusCode(), r.body());
        JsonNode providers = json(r).path("error").path("providers");
        assertEquals(Set.of("phi3", "llama31"), names(providers), r.body());
        assertEquals("no answer within the deadline", providers.path("phi3").asText(), r.body());
    }

    @Test
    void topPStopAndSeedReachTheEnginesFromEveryDoor() {
        HttpResponse<String> infer = infer("""
                {"task":"enrich_metadata","prompt":"x","top_p":0.5,"stop":["END"],"seed":7}""");
        assertEquals(200, infer.statusCode(), infer.body());
        JsonNode options = A.lastRequest("phi3:mini").path("options");
        assertEquals(0.5, options.path("top_p").asDouble(), options.toString());
        assertEquals("END", options.path("stop").path(0).asText(), options.toString());
        assertEquals(7, options.path("seed").asLong(), options.toString());

        HttpResponse<String> ollama = post("/api/chat", "application/json", """
                {"model":"enrich_metadata","stream":false,"options":{"top_p":0.25,"stop":["STOP"],"seed":9},
                 "messages":[{"role":"user","content":"y"}]}""");
        assertEquals(200, ollama.statusCode(), ollama.body());
        options = A.lastRequest("phi3:mini").path("options");
        assertEquals(0.25, options.path("top_p").asDouble(), options.toString());
        assertEquals("STOP", options.path("stop").path(0).asText(), options.toString());
        assertEquals(9, options.path("seed").asLong(), options.toString());

        HttpResponse<String> openai = post("/v1/chat/completions", "application/json", """
                {"model":"openai_only","top_p":0.75,"stop":"HALT","seed":11,
                 "messages":[{"role":"user","content":"z"}]}""");
        assertEquals(200, openai.statusCode(), openai.body());
        JsonNode sent = C.lastRequest("gemma2:9b");
        assertEquals(0.75, sent.path("top_p").asDouble(), sent.toString());
        assertEquals("HALT", sent.path("stop").path(0).asText(), sent.toString());
        assertEquals(11, sent.path("seed").asLong(), sent.toString());
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new HashSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
