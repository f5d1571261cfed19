package dev.llmpool.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * GET /metrics after known traffic: every meter of docs/operations.md is there with the values that traffic must
 * give (counts by door, task, strategy and status; the overhead histogram; tokens per provider; cache results;
 * in-flight and circuit gauges; the JVM's own), label values stay bounded, and OpenMetrics is served on request.
 */
class MetricsTest extends PoolTestSupport {

    private static final String ANSWER = "the same answer";
    private static final Duration BACKEND_LATENCY = Duration.ofMillis(300);

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=10000
                pool.tasks.vote_pair.providers=phi3,llama31
                pool.tasks.vote_pair.strategy=VOTING
                pool.tasks.vote_pair.prompt=prompts/expand_queries.md
                pool.tasks.vote_pair.deadline-ms=5000
                pool.tasks.judge.deadline-ms=5000
                pool.tasks.solo_gemma.providers=gemma2
                pool.tasks.solo_gemma.prompt=prompts/expand_queries.md
                pool.providers.gemma2.breaker.minimum-calls=2
                pool.providers.gemma2.breaker.sliding-window-size=4
                pool.providers.gemma2.breaker.wait-in-open-seconds=600
                """;
    }

    @Test
    void knownTrafficGivesKnownValuesInEveryMeter() {
        // The JVM's first request loads classes and compiles: real overhead, but not what this test measures
        assertEquals(200, infer("{\"task\":\"enrich_metadata\",\"prompt\":\"warm up\"}").statusCode());
        A.model("phi3:mini").answer(ANSWER).latency(BACKEND_LATENCY);
        B.model("llama3.1:8b").answer(ANSWER).latency(BACKEND_LATENCY);
        C.model("gemma2:9b").answer(ANSWER).latency(BACKEND_LATENCY);
        long promptTokens = 0;
        long completionTokens = 0;
        List<String> requestIds = new ArrayList<>();
        String first = null;
        for (int i = 0; i < 3; i++) {
            String body = "{\"task\":\"vote_pair\",\"prompt\":\"question number " + i + "\"}";
            first = first == null ? body : first;
            HttpResponse<String> r = infer(body);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode json = json(r);
            // the meters count every backend call: usage_total (usage is the chosen answer's own)
            promptTokens += json.at("/usage_total/prompt_tokens").asLong();
            completionTokens += json.at("/usage_total/completion_tokens").asLong();
            requestIds.add(json.path("request_id").asText());
        }
        HttpResponse<String> hit = infer(first); // a byte-for-byte repeat: answered from the cache
        assertTrue(json(hit).path("from_cache").asBoolean(), hit.body());
        HttpResponse<String> judged = infer("{\"task\":\"judge\",\"prompt\":\"which one\"}"); // candidates, then the judge
        assertEquals(200, judged.statusCode(), judged.body());
        assertEquals(404, infer("{\"task\":\"no-such-task-" + requestIds.get(0) + "\",\"prompt\":\"x\"}").statusCode());

        Scrape m = scrape();
        String[] votes = {"api", "infer", "task", "vote_pair", "strategy", "VOTING", "status", "200"};
        assertEquals(4, m.value("llmpool_requests_seconds_count", votes), "3 answered by the models, 1 from the cache");
        assertEquals(1, m.value("llmpool_requests_seconds_bucket", with(votes, "le", "0.25")),
                "only the cache hit is faster than the backends' 300 ms");
        assertEquals(1, m.value("llmpool_requests_seconds_count", "api", "infer", "task", "judge", "strategy", "JUDGE"));
        assertEquals(1, m.value("llmpool_requests_seconds_count", "task", "invalid", "strategy", "none", "status", "404"),
                "an unknown task is counted as invalid, never under its name");
        // Overhead = duration - time waiting on backends: every request's is under 250 ms although the answered ones
        // took over 300 ms (VOTING) and 600 ms (JUDGE: candidates, then the judge)
        assertEquals(7, m.value("llmpool_overhead_seconds_count"));
        assertTrue(m.value("llmpool_overhead_seconds_bucket", "le", "0.25") >= 6, "at most the warm-up took longer");
        assertEquals(7, m.value("llmpool_overhead_seconds_bucket", "le", "+Inf"));
        assertTrue(m.has("llmpool_overhead_seconds_bucket") && !m.find("llmpool_overhead_seconds_bucket", "le", "5.0E-5")
                .isEmpty(), "the first bucket is 50 µs");
        // Each VOTING request waited >= 300 ms on its (parallel) voters, the JUDGE one >= 600 ms (candidates, then the
        // judge): all of that is left out of the overhead
        double waitedAtLeast = 3 * 0.3 + 0.6;
        assertTrue(m.value("llmpool_overhead_seconds_sum") <= m.sum("llmpool_requests_seconds_sum") - waitedAtLeast,
                "overhead " + m.value("llmpool_overhead_seconds_sum") + " s of " + m.sum("llmpool_requests_seconds_sum"));
        assertTrue(m.value("llmpool_requests_seconds_sum", votes) > 0.9, "3 x 300 ms waiting on the backends");
        // Tokens as the backends reported them, per provider (each voter's answer is 3 words)
        String[] tokens = {"task", "vote_pair", "tenant", "default"};
        assertEquals(9, m.value("llmpool_tokens_total", with(tokens, "provider", "phi3", "direction", "completion")));
        assertEquals(9, m.value("llmpool_tokens_total", with(tokens, "provider", "llama31", "direction", "completion")));
        assertEquals(completionTokens, m.sum("llmpool_tokens_total", with(tokens, "direction", "completion")));
        assertEquals(promptTokens, m.sum("llmpool_tokens_total", with(tokens, "direction", "prompt")));
        assertTrue(m.value("llmpool_tokens_total", "task", "judge", "provider", "gemma2", "direction", "prompt") > 0);
        assertEquals(1, m.value("llmpool_cache_requests_total", "result", "hit"));
        assertEquals(5, m.value("llmpool_cache_requests_total", "result", "miss"), "warm-up, 3 votes, the judge");
        assertEquals(0, m.value("llmpool_inflight_requests"));
        for (String p : List.of("phi3", "llama31", "gemma2")) {
            assertEquals(0, m.value("llmpool_provider_inflight", "provider", p));
            assertEquals(1, m.value("llmpool_circuit_state", "provider", p, "state", "CLOSED"));
            assertEquals(0, m.value("llmpool_circuit_state", "provider", p, "state", "OPEN"));
            assertEquals(0, m.value("llmpool_circuit_state", "provider", p, "state", "HALF_OPEN"));
        }
        assertEquals(3, m.value("llmpool_provider_calls_seconds_count", "provider", "llama31", "outcome", "success"));
        // summed over the heap's pools: one of them (a survivor space just after a collection) may hold nothing
        assertTrue(m.sum("jvm_memory_used_bytes", "area", "heap") > 0);
        assertTrue(m.value("jvm_threads_live_threads") > 0);
        assertTrue(m.samples.stream().anyMatch(s -> s.name().startsWith("jvm_gc_")), "GC meters");
        for (String id : requestIds) {
            assertFalse(m.text.contains(id), "no request id in any label");
        }
    }

    /** ops/grafana/llm-pool.json: every meter its queries name is on /metrics after traffic. */
    @Test
    void everyMeterTheDashboardQueriesExists() throws Exception {
        assertEquals(200, infer("{\"task\":\"enrich_metadata\",\"prompt\":\"some traffic\"}").statusCode());
        JsonNode dashboard = JSON.readTree(java.nio.file.Path.of("ops", "grafana", "llm-pool.json").toFile());
        java.util.Set<String> used = new java.util.TreeSet<>();
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("\\b(?:llmpool|jvm)_[a-z0-9_]+");
        for (JsonNode expr : dashboard.findValues("expr")) {
            name.matcher(expr.asText()).results().forEach(r -> used.add(r.group()));
        }
        name.matcher(dashboard.at("/templating/list/0/definition").asText()).results().forEach(r -> used.add(r.group()));
        assertTrue(used.size() >= 10, "the dashboard's queries: " + used);
        Scrape m = scrape();
        for (String meter : used) {
            assertTrue(m.has(meter), meter + " is used by the dashboard but not on /metrics");
        }
        String scrapeConfig = java.nio.file.Files.readString(java.nio.file.Path.of("ops", "prometheus.yml"));
        assertTrue(scrapeConfig.contains("metrics_path: /metrics") && scrapeConfig.contains("localhost:7071"));
    }

    @Test
    void openMetricsWhenTheScraperAsksForIt() {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5")
                .GET().build());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"),
                r.headers().map().toString());
        assertTrue(r.body().endsWith("# EOF\n"), "OpenMetrics ends with # EOF");
        assertTrue(r.body().contains("# TYPE llmpool_overhead_seconds histogram"), r.body());
        HttpResponse<String> plain = get("/metrics");
        assertTrue(plain.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    }

    @Test
    void inFlightRequestsAndOpenCircuitsAreGaugedWhileTheyLast() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        A.model("phi3:mini").answer(request -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ANSWER;
        });
        CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(
                () -> infer("{\"task\":\"enrich_metadata\",\"prompt\":\"held\",\"deadline_ms\":10000}"));
        assertTrue(eventually(Duration.ofSeconds(10), () -> A.inFlight("phi3:mini") == 1));
        Scrape during = scrape();
        assertEquals(1, during.value("llmpool_inflight_requests"));
        assertEquals(1, during.value("llmpool_provider_inflight", "provider", "phi3"));
        assertEquals(0, during.value("llmpool_provider_inflight", "provider", "llama31"));
        release.countDown();
        assertEquals(200, held.get(20, TimeUnit.SECONDS).statusCode());
        assertTrue(eventually(Duration.ofSeconds(5), () -> scrape().value("llmpool_inflight_requests") == 0));
        assertEquals(0, scrape().value("llmpool_provider_inflight", "provider", "phi3"));

        C.model("gemma2:9b").failWith(500, "{\"error\":\"model crashed\"}");
        for (int i = 0; i < 2; i++) {
            assertEquals(503, infer("{\"task\":\"solo_gemma\",\"prompt\":\"p" + i + "\"}").statusCode());
        }
        assertTrue(eventually(Duration.ofSeconds(5),
                () -> scrape().value("llmpool_circuit_state", "provider", "gemma2", "state", "OPEN") == 1));
        Scrape open = scrape();
        assertEquals(0, open.value("llmpool_circuit_state", "provider", "gemma2", "state", "CLOSED"));
        assertEquals(1, open.value("llmpool_circuit_state", "provider", "phi3", "state", "CLOSED"));
        assertEquals(2, open.value("llmpool_requests_seconds_count", "task", "solo_gemma", "status", "503"));
    }

    private Scrape scrape() {
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        return new Scrape(r.body());
    }

    private static String[] with(String[] base, String... more) {
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }
}
