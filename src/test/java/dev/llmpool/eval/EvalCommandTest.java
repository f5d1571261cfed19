package dev.llmpool.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.fixture.FakeBackend;

/**
 * {@code llm-pool.jar eval} against scripted fake backends of known accuracy (the shipped configuration's three
 * providers, on three backends): each provider is right on exactly 140 of 200 cases, chosen independently (seeded),
 * and wrong with an answer of its own, so wrong answers never agree. The evaluation runs the real core route in
 * process (EvalCommand.run is what {@code java -jar llm-pool.jar eval} runs).
 */
class EvalCommandTest {

    private static final int CASES = 200;
    private static final int RIGHT_PER_PROVIDER = 140;  // 70%
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Provider name, model, weight (the shipped configuration's; VOTING breaks a 1-1-1 tie by weight). */
    private static final String[][] PROVIDERS = {{"phi3", "phi3:mini", "0.6"}, {"llama31", "llama3.1:8b", "0.8"},
            {"gemma2", "gemma2:9b", "0.7"}};
    private static final Pattern CASE = Pattern.compile("case-(\\d+)");

    private static final FakeBackend[] BACKENDS = {FakeBackend.start(), FakeBackend.start(), FakeBackend.start()};
    /** For each provider, the cases it answers right. */
    private static final List<Set<Integer>> RIGHT = new ArrayList<>();

    private Path dir;

    @BeforeAll
    static void chooseWhichCasesEachProviderGetsRight() {
        Random random = new Random(20);
        for (int p = 0; p < PROVIDERS.length; p++) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < CASES; i++) {
                all.add(i);
            }
            Collections.shuffle(all, random);
            RIGHT.add(Set.copyOf(all.subList(0, RIGHT_PER_PROVIDER)));
        }
    }

    @AfterAll
    static void stopBackends() {
        for (FakeBackend b : BACKENDS) {
            b.close();
        }
    }

    @BeforeEach
    void scriptBackends() throws IOException {
        for (int p = 0; p < PROVIDERS.length; p++) {
            BACKENDS[p].resetAll();
            String provider = PROVIDERS[p][0];
            Set<Integer> right = RIGHT.get(p);
            // the right answer in another spelling than expected, so "normalised" matching is what makes it right
            BACKENDS[p].model(PROVIDERS[p][1]).answerToPrompt(asked -> {
                if (asked.startsWith("You are judging answers")) {  // prompts/judge.md: this provider is the judge
                    return oracleVerdict(asked);
                }
                int i = caseOf(asked);
                return right.contains(i) ? "  The Answer " + i + "\n" : "wrong answer " + i + " from " + provider;
            });
        }
        dir = Files.createTempDirectory("llmpool-eval");
        // every template must lie in pool.prompts.dir: the project's, and the quiz's own
        Files.createDirectories(dir.resolve("prompts"));
        try (var shippedPrompts = Files.list(Path.of("prompts"))) {
            for (Path p : shippedPrompts.toList()) {
                Files.copy(p, dir.resolve("prompts").resolve(p.getFileName()));
            }
        }
        Files.writeString(dir.resolve("prompts/quiz.md"), "Answer with the code words only.\n\n{{prompt}}\n");
        String shipped = Files.readString(Path.of("application.properties")).replace("=prompts/", "=" + dir.resolve("prompts") + "/");
        for (int p = 0; p < PROVIDERS.length; p++) {
            shipped = shipped.replace("pool.providers." + PROVIDERS[p][0] + ".url=http://localhost:11434",
                    "pool.providers." + PROVIDERS[p][0] + ".url=" + BACKENDS[p].url());
        }
        Files.writeString(dir.resolve("application.properties"), shipped + """

                pool.limits.max-deadline-ms=60000
                pool.tasks.quiz.providers=phi3,llama31,gemma2
                pool.tasks.quiz.strategy=FASTEST
                pool.tasks.quiz.judge=phi3
                pool.prompts.dir=%s
                pool.tasks.quiz.prompt=%s
                pool.tasks.quiz.deadline-ms=60000
                """.formatted(dir.resolve("prompts"), dir.resolve("prompts/quiz.md")));
    }

    @Test
    void measuresEachProviderAndStrategyAsScriptedAndVotingBeatsTheBestProvider() throws IOException {
        Path data = writeCases();
        Path out = dir.resolve("results.json");

        Run run = eval("--task", "quiz", "--data", data.toString(), "--strategies", "FASTEST,VOTING,CONSENSUS,JUDGE",
                "--concurrency", "8", "--out", out.toString());

        assertEquals(0, run.code, run.err);
        JsonNode report = JSON.readTree(out.toFile());
        Map<String, JsonNode> rows = new java.util.LinkedHashMap<>();
        report.path("rows").forEach(r -> rows.put(r.path("name").asText(), r));
        assertEquals(List.of("FASTEST", "VOTING", "CONSENSUS", "JUDGE", "phi3", "llama31", "gemma2"),
                List.copyOf(rows.keySet()));

        // single providers: exactly 70%, no errors, each case judged as scripted
        for (int p = 0; p < PROVIDERS.length; p++) {
            JsonNode row = rows.get(PROVIDERS[p][0]);
            assertEquals(CASES, row.path("answered").asInt(), PROVIDERS[p][0]);
            assertEquals(RIGHT_PER_PROVIDER, row.path("correct").asInt(), PROVIDERS[p][0]);
            assertEquals(0.7, row.path("accuracy").asDouble(), 1e-12);
            for (JsonNode result : row.path("results")) {
                int i = caseOf(result.path("expected").asText());
                assertEquals(RIGHT.get(p).contains(i), result.path("correct").asBoolean(), result.toString());
                assertEquals(PROVIDERS[p][0], result.path("winner_provider").asText(), "narrowed to that provider");
            }
        }
        // FASTEST without hedging: the first provider answers every case
        assertEquals(RIGHT_PER_PROVIDER, rows.get("FASTEST").path("correct").asInt());
        rows.get("FASTEST").path("results").forEach(r -> assertEquals("phi3", r.path("winner_provider").asText()));

        // VOTING: right when at least two providers are (the only answers that can agree); a 1-1-1 split goes to
        // the group of the heaviest provider (llama31, weight 0.8), so it is right when llama31 alone is
        int majority = 0;
        int loneHeaviest = 0;
        for (int i = 0; i < CASES; i++) {
            int right = rightCount(i);
            majority += right >= 2 ? 1 : 0;
            loneHeaviest += right == 1 && RIGHT.get(1).contains(i) ? 1 : 0;
        }
        JsonNode voting = rows.get("VOTING");
        assertEquals(CASES, voting.path("answered").asInt());
        assertEquals(majority + loneHeaviest, voting.path("correct").asInt(),
                "majority " + majority + " + lone heaviest " + loneHeaviest);
        for (JsonNode result : voting.path("results")) {
            int i = caseOf(result.path("expected").asText());
            assertEquals(rightCount(i) >= 2 || rightCount(i) == 1 && RIGHT.get(1).contains(i),
                    result.path("correct").asBoolean(), result.toString());
        }

        // CONSENSUS (2/3 must agree): the majority cases are answered, all right; the rest are 422s, counted as errors
        JsonNode consensus = rows.get("CONSENSUS");
        assertEquals(majority, consensus.path("answered").asInt());
        assertEquals(majority, consensus.path("correct").asInt());
        assertEquals(CASES - majority, consensus.path("errors").asInt());
        assertEquals(CASES - majority, consensus.path("errors_by_status").path("422").asInt());
        assertEquals(1.0, consensus.path("accuracy").asDouble(), 1e-12, "errors are never wrong answers");
        for (JsonNode result : consensus.path("results")) {
            if (result.path("status").asInt() == 422) {
                assertTrue(result.path("correct").isNull());
                assertEquals("consensus_not_reached", result.path("error").path("code").asText());
            }
        }

        // JUDGE with a judge that always picks a right candidate when there is one: right whenever any provider is
        int anyRight = 0;
        for (int i = 0; i < CASES; i++) {
            anyRight += rightCount(i) >= 1 ? 1 : 0;
        }
        JsonNode judge = rows.get("JUDGE");
        assertEquals(CASES, judge.path("answered").asInt());
        assertEquals(anyRight, judge.path("correct").asInt());

        // the significance line: VOTING beats the best single provider (all three tie at 70%: the first, phi3)
        JsonNode votingVsBest = report.path("comparisons").get(1);
        assertEquals("VOTING", votingVsBest.path("strategy").asText());
        assertEquals("phi3", votingVsBest.path("baseline").asText());
        assertEquals(CASES, votingVsBest.path("pairs").asInt());
        int onlyVoting = 0;
        int onlyPhi3 = 0;
        for (int i = 0; i < CASES; i++) {
            boolean v = rightCount(i) >= 2 || rightCount(i) == 1 && RIGHT.get(1).contains(i);
            onlyVoting += v && !RIGHT.get(0).contains(i) ? 1 : 0;
            onlyPhi3 += !v && RIGHT.get(0).contains(i) ? 1 : 0;
        }
        assertEquals(onlyVoting, votingVsBest.path("only_strategy_right").asInt());
        assertEquals(onlyPhi3, votingVsBest.path("only_baseline_right").asInt());
        assertEquals(Statistics.mcnemarExact(onlyVoting, onlyPhi3), votingVsBest.path("p_value").asDouble(), 1e-15);
        assertTrue(votingVsBest.path("significant").asBoolean(), votingVsBest.toString());
        assertEquals("better", votingVsBest.path("verdict").asText());
        assertTrue(run.out.contains("VOTING vs phi3: +"), run.out);
        assertTrue(run.out.contains("significant at 0.05, VOTING is better"), run.out);
        assertTrue(run.out.contains("FASTEST vs phi3: +0.0 points over 200 paired cases"), run.out);
        assertTrue(run.out.contains("not significant at 0.05"), run.out);

        // the table on stdout, progress on stderr
        assertTrue(run.out.matches("(?s).*\\nVOTING +strategy +" + percent(majority + loneHeaviest) + " .*"), run.out);
        assertTrue(run.out.matches("(?s).*\\nCONSENSUS +strategy +100\\.0% .* " + majority + "/200 .* "
                + (CASES - majority) + " \\(" + (CASES - majority) + "x 422\\).*"), run.out);
        assertTrue(run.err.contains("1400/1400"), run.err);
        assertTrue(run.err.contains("eval: 4 requests at once over phi3,llama31,gemma2 (--concurrency 8 is above"),
                "each row sends at most its providers' max-concurrency at once: " + run.err);
        assertFalse(run.out.contains("[####"), "the progress bar is on stderr only");

        // the README's table is this run's (scripted backends)
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "eval-scripted-run.txt"), run.out + "\nmajority (>=2 right): " + majority
                + ", lone right provider is llama31 (weight tie-break): " + loneHeaviest + ", any right: " + anyRight + "\n");
    }

    @Test
    void malformedLinesAreReportedWithTheirNumbersAndSkipped() throws IOException {
        Path data = dir.resolve("cases.jsonl");
        Files.writeString(data, String.join("\n",
                "\uFEFF{\"prompt\": \"case-1\", \"expected\": \"the answer 1\"}",             // 1: after a BOM
                "{\"prompt\": \"case-2\", \"expected\": ",                                 // 2: cut short
                "",                                                                        // 3: blank, ignored
                "[\"case-4\"]",                                                            // 4: not an object
                "{\"expected\": \"x\"}",                                                   // 5: no prompt
                "{\"prompt\": \"case-6\", \"expected\": \"x\", \"match\": \"fuzzy\"}",     // 6: unknown match
                "{\"prompt\": \"case-7\", \"expected\": \"(\", \"match\": \"regex\"}",     // 7: bad regex
                "{\"prompt\": \"case-8\", \"expected\": \"{oops\", \"match\": \"json\"}",  // 8: expected not JSON
                "{\"prompt\": \"case-9\", \"expected\": \"^the answer 9$\", \"match\": \"regex\"}",
                "{\"prompt\": \"case-10\", \"expected\": \"the answer 10\"} trailing"));   // 10: two values

        Run run = eval("--task", "quiz", "--data", data.toString(), "--strategies", "VOTING", "--providers", "llama31");

        assertEquals(0, run.code, run.err);
        for (String line : List.of(":2: skipped: not valid JSON", ":4: skipped: not a JSON object",
                ":5: skipped: \"prompt\" must be a non-empty string", ":6: skipped: \"match\" must be exact",
                ":7: skipped: expected is not a valid regular expression", ":8: skipped: expected is not JSON",
                ":10: skipped: not valid JSON")) {
            assertTrue(run.err.contains(data + line), "stderr should report " + line + ":\n" + run.err);
        }
        assertFalse(run.err.contains(":3:"), "a blank line is no error");
        assertTrue(run.out.contains("2 cases"), run.out);
        assertTrue(run.out.matches("(?s).*\\nllama31 +provider .* 2/2 .*"), run.out);
    }

    @Test
    void unknownTaskIsAnErrorBeforeAnyCall() throws IOException {
        Run run = eval("--task", "no_such_task", "--data", writeCases().toString());

        assertEquals(2, run.code);
        assertTrue(run.err.contains("eval: unknown task 'no_such_task' (known: "), run.err);
        assertNoModelCalled();
    }

    @Test
    void unknownProviderIsAnErrorBeforeAnyCall() throws IOException {
        Run run = eval("--task", "quiz", "--data", writeCases().toString(), "--providers", "phi3,gpt5");

        assertEquals(2, run.code);
        assertTrue(run.err.contains("eval: unknown provider 'gpt5' (known: gemma2, llama31, phi3)"), run.err);
        assertNoModelCalled();
    }

    @Test
    void unknownStrategyOrOptionIsAUsageErrorBeforeAnyCall() throws IOException {
        Run strategy = eval("--task", "quiz", "--data", writeCases().toString(), "--strategies", "VOTING,MAJORITY");
        Run option = eval("--task", "quiz", "--data", "cases.jsonl", "--model", "x");
        Run noData = eval("--task", "quiz", "--data", dir.resolve("missing.jsonl").toString());

        assertEquals(2, strategy.code);
        assertTrue(strategy.err.contains("eval: unknown strategy 'MAJORITY' (known: FASTEST, VOTING, WEIGHTED, "
                + "CONSENSUS, JUDGE)"), strategy.err);
        assertTrue(strategy.err.contains("usage: java -jar llm-pool.jar eval --task TASK"), strategy.err);
        assertEquals(2, option.code);
        assertTrue(option.err.contains("eval: unknown option '--model'"), option.err);
        assertEquals(2, noData.code);
        assertTrue(noData.err.contains("eval: no such data file: " + dir.resolve("missing.jsonl")), noData.err);
        assertNoModelCalled();
    }

    @Test
    void theShippedExampleSetReadsWhole() throws IOException {
        CaseReader.Result shipped = new CaseReader(JSON).read(Path.of("eval", "rerank_candidates.jsonl"));

        assertEquals(List.of(), shipped.skipped());
        assertEquals(12, shipped.cases().size());
        for (EvalCase c : shipped.cases()) {
            assertEquals(MatchMode.JSON, c.match());
            List<Integer> order = new ArrayList<>();
            JSON.readTree(c.expected()).forEach(n -> order.add(n.asInt()));
            assertEquals(Set.of(1, 2, 3), new HashSet<>(order), c.id() + ": an order of the three candidates");
            assertTrue(c.isCorrect("```json\n" + c.expected() + "\n```"), c.id());
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private record Run(int code, String out, String err) {
    }

    private Run eval(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Properties overrides = new Properties();
        overrides.put("pool.config.file", dir.resolve("application.properties").toString());
        overrides.put("pool.health.timeout-ms", "5000");  // the shipped 1 s is short for a loaded machine
        int code = new EvalCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(args, overrides);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path writeCases() throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < CASES; i++) {
            lines.append(JSON.writeValueAsString(Map.of("prompt", "What are the code words of case-" + i + "?",
                    "expected", "the answer " + i))).append('\n');
        }
        return Files.writeString(dir.resolve("cases.jsonl"), lines);
    }

    private void assertNoModelCalled() {
        for (FakeBackend b : BACKENDS) {
            assertEquals(0, b.totalCalls(), "no completion call may be made");
        }
    }

    /**
     * The judge's reply to prompts/judge.md: the first candidate ("[n]" then its answer) that is a right answer, as
     * the JSON verdict the JUDGE strategy expects; candidate 1 when none is.
     */
    private static String oracleVerdict(String judgePrompt) {
        Matcher right = Pattern.compile("\\[(\\d+)\\]\\nThe Answer").matcher(judgePrompt);
        return "{\"choice\": " + (right.find() ? right.group(1) : "1") + ", \"reason\": \"scripted\"}";
    }

    private static int rightCount(int i) {
        int n = 0;
        for (Set<Integer> right : RIGHT) {
            n += right.contains(i) ? 1 : 0;
        }
        return n;
    }

    private static int caseOf(String text) {
        Matcher m = CASE.matcher(text);
        if (m.find()) {
            return Integer.parseInt(m.group(1));
        }
        Matcher n = Pattern.compile("(\\d+)").matcher(text);
        if (!n.find()) {
            throw new IllegalArgumentException("no case number in " + text);
        }
        return Integer.parseInt(n.group(1));
    }

    private static String percent(int correct) {
        return String.format(java.util.Locale.ROOT, "%.1f%%", 100.0 * correct / CASES).replace(".", "\\.");
    }
}
