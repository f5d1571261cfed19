package dev.llmpool.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * Per-tenant limits, exact under concurrency: requests a minute, the token budget charged from the backends' usage,
 * requests in flight; each refusal a 429 with Retry-After and RateLimit-* headers, counted by tenant and reason.
 */
class TenantLimitsTest extends AccessTestSupport {

    static final String GAMMA_KEY = "lp_gamma-fifty-a-minute";
    static final String DELTA_KEY = "lp_delta-small-budget";
    static final String EPSILON_KEY = "lp_epsilon-one-at-a-time";

    @Override
    protected String accessConfig() {
        return """
                pool.tenants.gamma.api-key-sha256=%s
                pool.tenants.gamma.requests-per-minute=50
                pool.tenants.delta.api-key-sha256=%s
                pool.tenants.delta.tokens-per-minute=5
                pool.tenants.delta.tokens-per-day=1000
                pool.tenants.epsilon.api-key-sha256=%s
                pool.tenants.epsilon.max-concurrency=1
                pool.providers.phi3.max-concurrency=200
                """.formatted(ApiKeys.sha256Hex(GAMMA_KEY), ApiKeys.sha256Hex(DELTA_KEY), ApiKeys.sha256Hex(EPSILON_KEY));
    }

    @Test
    void fiftyAMinuteMeansExactlyFiftyOfTwoHundredConcurrentRequests() {
        List<HttpResponse<String>> responses = concurrently(200, port, GAMMA_KEY);
        assertExactly(50, responses);
        assertEquals(150, rejected("gamma", "requests"));
    }

    static List<HttpResponse<String>> concurrently(int n, int toPort, String key) {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            HttpRequest r = HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + toPort + "/v1/infer"))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .header("Authorization", bearer(key))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"task\":\"enrich_metadata\",\"prompt\":\"q" + i + "\",\"cache\":false}")).build();
            calls.add(HTTP_1_1.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
        }
        return calls.stream().map(CompletableFuture::join).toList();
    }

    static void assertExactly(int answered, List<HttpResponse<String>> responses) {
        int ok = 0;
        int limited = 0;
        for (HttpResponse<String> r : responses) {
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertEquals(429, r.statusCode(), r.body());
                assertEquals("rate_limited", json(r).path("error").path("code").asText());
                long retry = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
                assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
                assertEquals("50", r.headers().firstValue("RateLimit-Limit").orElse(null));
                assertEquals("0", r.headers().firstValue("RateLimit-Remaining").orElse(null));
                assertTrue(r.headers().firstValue("RateLimit-Reset").isPresent());
                limited++;
            }
        }
        assertEquals(answered, ok, "answered");
        assertEquals(responses.size() - answered, limited, "refused");
    }

    @Test
    void theTokenBudgetIsChargedFromTheBackendsUsage() {
        HttpResponse<String> first = infer(body("enrich_metadata", "spend"), "x-api-key", DELTA_KEY);
        assertEquals(200, first.statusCode(), first.body());
        long spent = json(first).path("usage").path("prompt_tokens").asLong()
                + json(first).path("usage").path("completion_tokens").asLong();
        assertTrue(spent >= 5, "the fake backend reports " + spent + " tokens, enough to spend the budget of 5");
        HttpResponse<String> second = infer(body("enrich_metadata", "spend more"), "x-api-key", DELTA_KEY);
        assertEquals(429, second.statusCode(), second.body());
        assertEquals("budget_exhausted", json(second).path("error").path("code").asText());
        assertEquals("5", second.headers().firstValue("RateLimit-Limit").orElse(null));
        assertTrue(second.headers().firstValue("Retry-After").isPresent());
        assertEquals(1, A.calls("phi3:mini"));
        assertEquals(1, rejected("delta", "tokens"));
        HttpResponse<String> cached = infer(body("enrich_metadata", "spend"), "x-api-key", DELTA_KEY);
        assertEquals(429, cached.statusCode(), "a spent budget refuses even what the cache could answer");
    }

    @Test
    void requestsInFlightAreBounded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        A.model("phi3:mini").answer(request -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "held";
        });
        CompletableFuture<HttpResponse<String>> first = HTTP.sendAsync(request("POST", "/v1/infer",
                body("enrich_metadata", "one"), "x-api-key", EPSILON_KEY).build(), HttpResponse.BodyHandlers.ofString());
        try {
            assertTrue(eventually(Duration.ofSeconds(10), () -> A.inFlight("phi3:mini") == 1));
            HttpResponse<String> second = infer(body("enrich_metadata", "two"), "x-api-key", EPSILON_KEY);
            assertEquals(429, second.statusCode(), second.body());
            assertEquals("rate_limited", json(second).path("error").path("code").asText());
            assertEquals(1, rejected("epsilon", "concurrency"));
        } finally {
            release.countDown();
        }
        assertEquals(200, first.join().statusCode());
        assertEquals(200, infer(body("enrich_metadata", "three"), "x-api-key", EPSILON_KEY).statusCode(),
                "the slot is free again once the first is answered");
    }

    @Test
    void theRefusalsAreInTheMetricsByTenantAndReason() {
        assertEquals(200, infer(body("enrich_metadata", "a"), "x-api-key", DELTA_KEY).statusCode());
        assertEquals(429, infer(body("enrich_metadata", "b"), "x-api-key", DELTA_KEY).statusCode());
        String scrape = send(getRequest("/metrics", "x-api-key", ALPHA_KEY)).body();
        assertTrue(scrape.contains("llmpool_rate_limited_total{reason=\"tokens\",tenant=\"delta\"} 1.0"), scrape);
    }

    private double rejected(String tenant, String reason) {
        Counter c = context.getRegistry().findSingleByType(MeterRegistry.class).find("llmpool.rate.limited")
                .tag("tenant", tenant).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }
}
