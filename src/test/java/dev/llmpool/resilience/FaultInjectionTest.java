package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import dev.llmpool.fixture.FakeBackend;

/**
 * Every fault of the backend fixture, under FASTEST, VOTING and JUDGE, over the task {@code trio} (phi3, llama31,
 * gemma2; hedged after 200 ms; judge llama31). For each case: the status and body the caller gets, the breaker's
 * state and what /health says, first with one faulty provider (the others answer), then with all three faulty
 * (a contract error, and no backend call left running a moment after it). The breakers decide after 2 calls and
 * stay open for the rest of the test, except for the flapping provider, which must come back after a 1 s wait;
 * health checks run when the test says so, to keep the breaker's and the checks' parts apart.
 */
class FaultInjectionTest extends ResilienceTestSupport {

    private static final String ANSWER = "the same answer";
    private static final Set<String> DROPPED = Set.of("connection refused", "connection closed without a response");

    /** A way a backend fails, what the pool calls it, and what its health check then says. */
    enum Fault {
        REFUSED_CONNECTION(DROPPED, null, "connection refused"),
        TIMEOUT(Set.of("timed out"), true, null),
        HTTP_500(Set.of("HTTP 500: llama runner process has terminated"), false, null),
        HTTP_503(Set.of("HTTP 503: server busy, please try again"), false, null),
        BODY_CUT_MID_JSON(Set.of("connection closed mid-response"), false, null),
        INVALID_JSON(Set.of("invalid JSON in a 200 answer"), false, null),
        MODEL_NOT_FOUND(Set.of("HTTP 404: model '%s' not found"), false, "model '%s' is not listed by /api/tags"),
        SLOW_HEADERS(Set.of("timed out"), true, null);

        final Set<String> reasons;
        final Boolean slow;       // null: fails fast or slow depending on kept-alive connections
        final String healthError; // null: the health check still passes

        Fault(Set<String> reasons, Boolean slow, String healthError) {
            this.reasons = reasons;
            this.slow = slow;
            this.healthError = healthError;
        }

        void apply(FakeBackend backend, String model) {
            switch (this) {
                case REFUSED_CONNECTION -> backend.stop();
                case TIMEOUT -> backend.model(model).hang();
                case HTTP_500 -> backend.model(model).failWith(500, "{\"error\":\"llama runner process has terminated\"}");
                case HTTP_503 -> backend.model(model).failWith(503, "{\"error\":\"server busy, please try again\"}");
                case BODY_CUT_MID_JSON -> backend.model(model).cutBody();
                case INVALID_JSON -> backend.model(model).invalidJson();
                case MODEL_NOT_FOUND -> backend.unlist(model);
                case SLOW_HEADERS -> backend.model(model).latency(Duration.ofSeconds(30));
            }
        }

        boolean matches(String reason, String model) {
            return reasons.stream().anyMatch(r -> r.formatted(model).equals(reason));
        }
    }

    enum Ensemble { FASTEST, VOTING, JUDGE }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Ensemble e : Ensemble.values()) {
            for (Fault f : Fault.values()) {
                all.add(Arguments.of(e, f));
            }
        }
        return all.stream();
    }

    @Override
    protected String extraConfig() {
        return SMALL_BREAKERS + """
                pool.tasks.trio.providers=phi3,llama31,gemma2
                pool.tasks.trio.strategy=FASTEST
                pool.tasks.trio.hedge-after-ms=200
                pool.tasks.trio.judge=llama31
                pool.tasks.trio.prompt=prompts/expand_queries.md
                pool.tasks.enrich_metadata.providers=phi3,gemma2
                pool.limits.max-deadline-ms=3000
                pool.tasks.trio.deadline-ms=1500
                """;
    }

    /** Every model gives the same answer (so VOTING agrees); the judge, asked for JSON, picks candidate 1. */
    private void answerAlike() {
        A.model("phi3:mini").answer(ANSWER);
        C.model("gemma2:9b").answer(ANSWER);
        B.model("llama3.1:8b").answer(body -> body.has("format") ? "{\"choice\": 1, \"reason\": \"complete\"}" : ANSWER);
    }

    /**
     * trio's 1.5 s, except for JUDGE: its judge gets what the candidates' 60% leave, which with a hanging candidate is
     * 600 ms of 1.5 s, short for a loaded machine; 3 s leaves it 1.2 s.
     */
    private HttpResponse<String> ask(Ensemble e) {
        return infer("trio", ",\"strategy\":\"" + e + "\"" + (e == Ensemble.JUDGE ? ",\"deadline_ms\":3000" : ""));
    }

    @ParameterizedTest(name = "{0}: {1} on one provider")
    @MethodSource("cases")
    void oneFaultyProviderTheOthersAnswerAndItsBreakerOpensUnlessItIsMerelySlower(Ensemble ensemble, Fault fault) {
        answerAlike();
        fault.apply(A, "phi3:mini");
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = ask(ensemble);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = json(r);
            assertEquals(ANSWER, body.path("content").asText());
            assertEquals(ensemble.name(), body.path("strategy_used").asText());
            assertNotEquals("phi3", body.path("winner_provider").asText());
            if (ensemble == Ensemble.VOTING) {
                assertEquals(2, body.path("votes").path(ANSWER).asInt(), body.toString());
            }
            if (ensemble == Ensemble.JUDGE) {
                assertEquals(1, body.path("judge").path("choice").asInt(), body.toString());
                assertEquals("llama31", body.path("winner_provider").asText(), "candidate 1 once phi3 failed");
            }
        }
        if (fault.slow == Boolean.TRUE && ensemble != Ensemble.JUDGE) {
            // Merely slower: its calls were cut because the others decided the outcome, which is no mark against it
            // (a deadline cut would be). Its breaker stays CLOSED and it is asked again.
            assertEquals("CLOSED", circuit("phi3"));
            int calls = A.calls("phi3:mini");
            assertEquals(200, ask(ensemble).statusCode());
            assertEquals(calls + 1, A.calls("phi3:mini"), "the slow provider is still asked");
            return;
        }
        awaitCircuit("phi3", "OPEN"); // a timed-out call is counted when its budget ends, after the answer

        checkHealthNow();
        JsonNode health = health();
        assertEquals("DEGRADED", health.path("status").asText(), health.toString());
        JsonNode phi3 = provider(health, "phi3");
        assertEquals("OPEN", phi3.path("circuit").asText());
        if (fault.healthError == null) {
            assertEquals("UP", phi3.path("status").asText());
            assertTrue(fault.matches(phi3.path("last_error").asText(), "phi3:mini"), phi3.toString());
        } else {
            assertEquals("DOWN", phi3.path("status").asText());
            assertEquals(fault.healthError.formatted("phi3:mini"), phi3.path("last_error").asText());
        }

        int calls = A.calls("phi3:mini");
        HttpResponse<String> skipped = ask(ensemble);
        assertEquals(200, skipped.statusCode(), skipped.body());
        assertEquals(calls, A.calls("phi3:mini"), "the open provider is left out");
    }

    @ParameterizedTest(name = "{0}: {1} on every provider")
    @MethodSource("cases")
    void everyProviderFaultyGivesAContractErrorAndLeavesNoCallRunning(Ensemble ensemble, Fault fault) {
        answerAlike();
        fault.apply(A, "phi3:mini");
        fault.apply(B, "llama3.1:8b");
        fault.apply(C, "gemma2:9b");
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = ask(ensemble);
            JsonNode error = json(r).path("error");
            assertTrue(json(r).path("request_id").isTextual(), r.body());
            // Slow faults run out the clock: 504 (JUDGE's candidates run out their window, 60% of the budget).
            boolean deadline = fault.slow == Boolean.TRUE;
            if (deadline) {
                assertEquals(504, r.statusCode(), r.body());
                assertEquals("deadline_exceeded", error.path("code").asText());
            } else {
                assertEquals(503, r.statusCode(), r.body());
                assertEquals("no_provider_available", error.path("code").asText());
                assertTrue(r.headers().firstValue("Retry-After").isPresent());
                assertEquals(Set.of("phi3", "llama31", "gemma2"), names(error.path("providers")), r.body());
                assertTrue(fault.matches(error.path("providers").path("phi3").asText(), "phi3:mini"), r.body());
                assertTrue(fault.matches(error.path("providers").path("gemma2").asText(), "gemma2:9b"), r.body());
            }
            // A call left running would hang for good (or 30 s): 5 s is a moment, also on a loaded machine.
            assertTrue(eventually(Duration.ofSeconds(5), () -> A.inFlight("phi3:mini") + B.inFlight("llama3.1:8b")
                    + C.inFlight("gemma2:9b") == 0), "no backend call is still running a moment after the answer");
        }
        for (String p : List.of("phi3", "llama31", "gemma2")) {
            awaitCircuit(p, "OPEN");
        }
        checkHealthNow();
        HttpResponse<String> h = get("/health");
        assertEquals(503, h.statusCode(), h.body());
        assertEquals("DOWN", json(h).path("status").asText());

        HttpResponse<String> open = ask(ensemble);
        assertEquals(503, open.statusCode(), "every provider is left out at once: " + open.body());
        JsonNode reasons = json(open).path("error").path("providers");
        for (String p : List.of("phi3", "llama31", "gemma2")) {
            String why = reasons.path(p).asText();
            assertTrue(why.equals("circuit breaker open") || why.startsWith("health check failed"), open.body());
        }
    }

    @ParameterizedTest(name = "{0}: a flapping provider")
    @EnumSource(Ensemble.class)
    void aFlappingProviderNeverFailsARequestAndComesBackWhenItSettles(Ensemble ensemble) throws Exception {
        useBreakerWait(1);
        answerAlike();
        boolean sawOpen = false;
        for (int i = 0; i < 6; i++) {
            if (i % 2 == 0) {
                A.stop();
            } else {
                A.restart();
            }
            HttpResponse<String> r = ask(ensemble);
            assertEquals(200, r.statusCode(), "flap " + i + ": " + r.body());
            assertEquals(ANSWER, json(r).path("content").asText());
            sawOpen |= !circuit("phi3").equals("CLOSED");
        }
        assertTrue(sawOpen, "alternating failures opened phi3's breaker");
        assertEquals("DEGRADED".equals(health().path("status").asText()) || "UP".equals(health().path("status").asText()),
                true);

        A.restart(); // settles up
        assertTrue(eventually(Duration.ofSeconds(10), () -> {
            ask(ensemble);
            return circuit("phi3").equals("CLOSED");
        }), "a half-open probe found phi3 back: " + health());
        int calls = A.calls("phi3:mini");
        HttpResponse<String> r = ask(ensemble);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(calls + 1, A.calls("phi3:mini"), "phi3 is selected again");
        assertEquals("UP", health().path("status").asText());
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new java.util.HashSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
