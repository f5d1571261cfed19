package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.fixture.FakeBackend;
import dev.llmpool.health.HealthChecker;

/**
 * The real service against the fake backends, with health checks run when the test says so (the timer fires
 * once at start, then practically never) and, as in every pool test, a health-check timeout generous enough for a
 * loaded machine.
 */
abstract class ResilienceTestSupport extends PoolTestSupport {

    private static final int LONG_WAIT_SECONDS = 600;

    /**
     * Breakers that change state within a few calls. An open one stays open for the rest of the test: with a short
     * wait it would go half-open on its own while the test still looks at it, sooner or later on a slow machine.
     * Tests of the probes move it on with {@link #probeAgainNow}; {@link #useBreakerWait} brings the timed wait back.
     */
    protected static final String SMALL_BREAKERS = """
            pool.providers.phi3.breaker.minimum-calls=2
            pool.providers.phi3.breaker.sliding-window-size=4
            pool.providers.phi3.breaker.wait-in-open-seconds=%1$d
            pool.providers.llama31.breaker.minimum-calls=2
            pool.providers.llama31.breaker.sliding-window-size=4
            pool.providers.llama31.breaker.wait-in-open-seconds=%1$d
            pool.providers.gemma2.breaker.minimum-calls=2
            pool.providers.gemma2.breaker.sliding-window-size=4
            pool.providers.gemma2.breaker.wait-in-open-seconds=%1$d
            """.formatted(LONG_WAIT_SECONDS);

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.health.interval-ms", "3600000");
        return p;
    }

    /** What the end of the breaker's wait-in-open-seconds does: the provider's next call is a probe. */
    protected void probeAgainNow(String provider) {
        guards().breaker(provider).transitionToHalfOpenState();
    }

    /**
     * Every provider's breaker of {@link #SMALL_BREAKERS} waits {@code seconds} in the open state from now on (the
     * config is edited; the providers' routes are rebuilt with fresh, closed breakers).
     */
    protected void useBreakerWait(int seconds) throws IOException {
        writeConfig(Files.readString(configFile).replace("breaker.wait-in-open-seconds=" + LONG_WAIT_SECONDS,
                "breaker.wait-in-open-seconds=" + seconds));
        for (String provider : List.of("phi3", "llama31", "gemma2")) {
            assertTrue(eventually(Duration.ofSeconds(10), () -> guards().breaker(provider) != null && guards()
                    .breaker(provider).getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1)
                    == seconds * 1000L), provider + "'s breaker waits " + seconds + " s");
        }
    }

    /** The model's answers wait until the returned latch is released (at most 30 s), then say {@code answer}. */
    protected static CountDownLatch holdAnswers(FakeBackend backend, String model, String answer) {
        CountDownLatch release = new CountDownLatch(1);
        backend.model(model).answer(request -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return answer;
        });
        return release;
    }

    protected ProviderGuards guards() {
        return context.getRegistry().lookupByNameAndType("providerGuards", ProviderGuards.class);
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

    protected static JsonNode task(JsonNode health, String name) {
        for (JsonNode t : health.path("tasks")) {
            if (t.path("name").asText().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no task " + name + " in " + health);
    }

    protected static String reason(HttpResponse<String> r, String provider) {
        return json(r).path("error").path("providers").path(provider).asText(null);
    }
}
