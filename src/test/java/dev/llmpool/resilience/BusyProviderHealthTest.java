package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Health that tells busy from dead (issue 16, defect 8): an engine generating for its callers lists its models
 * too late for a 500 ms check (the fixture's slowListingsWhileBusy). While its last call got its answer, that
 * timeout leaves the provider UP and usable, saying it is busy; once its calls fail, the same timeout is DOWN.
 */
class BusyProviderHealthTest extends ResilienceTestSupport {

    private static final String REQUEST = "{\"task\":\"enrich_metadata\",\"prompt\":\"a long answer\"}";

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.health.timeout-ms", "500");
        return p;
    }

    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\n";
    }

    /** A first check at start-up may time out on a loaded machine: check again until phi3 is UP. */
    private void awaitPhi3Up() {
        assertTrue(eventually(Duration.ofSeconds(15), () -> {
            checkHealthNow();
            return provider(health(), "phi3").path("status").asText().equals("UP");
        }), "phi3 is UP: " + health());
    }

    private CompletableFuture<HttpResponse<String>> callHeldInFlight() {
        CompletableFuture<HttpResponse<String>> call = CompletableFuture.supplyAsync(() -> infer(REQUEST));
        assertTrue(eventually(Duration.ofSeconds(10), () -> A.inFlight("phi3:mini") == 1), "the call reached phi3");
        return call;
    }

    @Test
    void aCheckThatTimesOutWhileTheProviderAnswersItsCallsFindsItBusyNotDown() {
        awaitPhi3Up();
        A.slowListingsWhileBusy(Duration.ofSeconds(3));
        CountDownLatch release = holdAnswers(A, "phi3:mini", "slow answer");
        CompletableFuture<HttpResponse<String>> call;
        try {
            call = callHeldInFlight();
            checkHealthNow();
            JsonNode phi3 = provider(health(), "phi3");
            assertEquals("UP", phi3.path("status").asText(), phi3.toString());
            assertTrue(phi3.path("last_error").asText().startsWith("busy: health check timed out after"), phi3.toString());
            assertTrue(phi3.path("last_error").asText().endsWith("with 1 calls in flight"), phi3.toString());
            assertEquals("UP", health().path("status").asText(), "a busy provider is usable");
            assertEquals("UP", task(health(), "enrich_metadata").path("status").asText());
        } finally {
            release.countDown();
        }
        HttpResponse<String> r = call.join();
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void theSameTimeoutIsDownOnceTheProvidersCallsFail() {
        awaitPhi3Up();
        A.slowListingsWhileBusy(Duration.ofSeconds(3));
        A.model("phi3:mini").failTimes(1, 500, "{\"error\":\"llama runner process has terminated\"}");
        assertNotEquals(200, infer(REQUEST).statusCode(), "phi3's call failed");
        CountDownLatch release = holdAnswers(A, "phi3:mini", "too late");
        try {
            callHeldInFlight();
            checkHealthNow();
            JsonNode phi3 = provider(health(), "phi3");
            assertEquals("DOWN", phi3.path("status").asText(), phi3.toString());
            assertEquals("timed out", phi3.path("last_error").asText(), phi3.toString());
            assertEquals("DOWN", task(health(), "enrich_metadata").path("status").asText());
        } finally {
            release.countDown();
        }
    }
}
