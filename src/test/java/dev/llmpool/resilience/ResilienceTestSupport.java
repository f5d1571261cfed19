package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.health.HealthChecker;

/**
 * The real service against the fake backends, with health checks run when the test says so (the timer fires
 * once at start, then practically never) and a health-check timeout generous enough for a loaded machine.
 */
abstract class ResilienceTestSupport extends PoolTestSupport {

    /** Breakers that change state within a few calls, and wait one second before probing again. */
    protected static final String SMALL_BREAKERS = """
            pool.providers.phi3.breaker.minimum-calls=2
            pool.providers.phi3.breaker.sliding-window-size=4
            pool.providers.phi3.breaker.wait-in-open-seconds=1
            pool.providers.llama31.breaker.minimum-calls=2
            pool.providers.llama31.breaker.sliding-window-size=4
            pool.providers.llama31.breaker.wait-in-open-seconds=1
            pool.providers.gemma2.breaker.minimum-calls=2
            pool.providers.gemma2.breaker.sliding-window-size=4
            pool.providers.gemma2.breaker.wait-in-open-seconds=1
            """;

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.health.interval-ms", "3600000");
        p.put("pool.health.timeout-ms", "5000");
        return p;
    }

    /** Runs one round of background health checks now and waits for it. */
    protected void checkHealthNow() {
        context.getRegistry().lookupByNameAndType("healthChecker", HealthChecker.class).checkAll();
    }

    protected JsonNode health() {
        return json(get("/health"));
    }

    protected static JsonNode provider(JsonNode health, String name) {
        for (JsonNode p : health.path("providers")) {
            if (p.path("name").asText().equals(name)) {
                return p;
            }
        }
        throw new AssertionError("no provider " + name + " in " + health);
    }

    protected String circuit(String provider) {
        return provider(health(), provider).path("circuit").asText();
    }

    /** Waits (bounded) until /health shows the provider's circuit in that state. */
    protected void awaitCircuit(String provider, String state) {
        assertTrue(eventually(Duration.ofSeconds(10), () -> circuit(provider).equals(state)),
                "circuit of " + provider + " should be " + state + ": " + health());
    }

    protected HttpResponse<String> infer(String task, String extraFields) {
        // "cache": false: these tests are about what backends do, so every call must reach one (no cache hit,
        // no coalescing with an identical request in flight).
        return infer("{\"task\":\"" + task + "\",\"prompt\":\"x\",\"cache\":false" + extraFields + "}");
    }

    protected static String reason(HttpResponse<String> r, String provider) {
        return json(r).path("error").path("providers").path(provider).asText(null);
    }
}
