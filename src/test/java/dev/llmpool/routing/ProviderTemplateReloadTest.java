package dev.llmpool.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * {@code routes/providers.camel.yaml}, the provider route template, edited while the service runs: every provider's
 * route is rebuilt from the edited template, a request in flight finishes on the old route, and an edit that cannot
 * build a route (or does not parse) is rejected while the old routes keep serving.
 */
class ProviderTemplateReloadTest extends PoolTestSupport {

    private static final Duration RELOAD_WAIT = Duration.ofSeconds(15);
    /** The visible edit: a step, before the provider's guard, that fails every call with this message. */
    private static final String MARKER = "edited template in use";
    private static final String FAILING_STEP = """
                      - throwException:
                          id: "edited-{{name}}"
                          exceptionType: java.lang.IllegalStateException
                          message: "%s"
            """.formatted(MARKER);
    private static final String BEFORE_GUARD = "          - policy:\n";

    private final ExecutorService callers = Executors.newCachedThreadPool();

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.tasks.enrich_metadata.deadline-ms=15000
                """;
    }

    @AfterEach
    void stopCallers() {
        callers.shutdownNow();
    }

    private Path templateFile() {
        return workDir.resolve("routes/providers.camel.yaml");
    }

    private void replaceTemplate(String text) throws Exception {
        replaceRouteFile("providers.camel.yaml", text);
    }

    private String withFailingStep(String original) {
        assertTrue(original.contains(BEFORE_GUARD), "the template still has its guard step");
        return original.replace(BEFORE_GUARD, FAILING_STEP + BEFORE_GUARD);
    }

    private HttpResponse<String> ask(String prompt) {
        return infer("{\"task\":\"enrich_metadata\",\"prompt\":\"" + prompt + "\"}");
    }

    private boolean editApplied() {
        HttpResponse<String> r = ask("probe " + System.nanoTime()); // a fresh prompt: never a cache hit
        return r.statusCode() == 503 && r.body().contains(MARKER);
    }

    private long providerRoutes(String provider) {
        return context.getRoutes().stream().filter(r -> r.getRouteId().startsWith("provider-" + provider + "-")).count();
    }

    private ProviderRoutes routes() {
        return context.getRegistry().lookupByNameAndType("providerRoutes", ProviderRoutes.class);
    }

    @Test
    void anEditedTemplateAppliesWhileRequestsInFlightFinishOnTheOldRoutes() throws Exception {
        String original = Files.readString(templateFile());
        A.model("phi3:mini").latency(Duration.ofMillis(2500));
        var arrived = A.onCall("phi3:mini");
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> ask("in flight"), callers);
        assertTrue(arrived.await(10, TimeUnit.SECONDS), "a call is in flight on the old route");

        replaceTemplate(withFailingStep(original));
        A.model("phi3:mini").reset();
        assertTrue(eventually(RELOAD_WAIT, this::editApplied), "new requests go through the edited template");

        HttpResponse<String> old = inFlight.get(20, TimeUnit.SECONDS);
        assertEquals(200, old.statusCode(), "the call in flight finished on the old route: " + old.body());
        assertEquals("phi3 says hello", json(old).path("content").asText());
        assertTrue(eventually(RELOAD_WAIT, () -> providerRoutes("phi3") == 1), "the old route was retired");

        replaceTemplate(original); // and back
        assertTrue(eventually(RELOAD_WAIT, () -> ask("back " + System.nanoTime()).statusCode() == 200));
    }

    @Test
    void aTemplateThatCannotBuildARouteIsRejectedAndTheOldRoutesKeepServing() throws Exception {
        String original = Files.readString(templateFile());
        replaceTemplate(original.replace(BEFORE_GUARD, """
                          - process:
                              id: "broken-{{name}}"
                              ref: noSuchBean
                """ + BEFORE_GUARD));
        assertTrue(eventually(RELOAD_WAIT, () -> routes().lastRejection() != null), "the edit was rejected");
        assertTrue(routes().lastRejection().contains("noSuchBean"), routes().lastRejection());
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = ask("still serving " + i);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("phi3", json(r).path("winner_provider").asText());
        }
        // A good edit afterwards applies
        replaceTemplate(withFailingStep(original));
        assertTrue(eventually(RELOAD_WAIT, this::editApplied), "the mended template applies");
    }

    @Test
    void aTemplateFileThatDoesNotParseIsRejectedAndTheOldRoutesKeepServing() throws Exception {
        var watcher = routeWatcher();
        long failedBefore = watcher.getFailedCounter();
        String original = Files.readString(templateFile());
        replaceTemplate("- routeTemplate:\n    id: provider\n    route: [this is: not: valid yaml\n");
        assertTrue(eventually(RELOAD_WAIT, () -> watcher.getFailedCounter() > failedBefore), "the watcher rejected it");
        for (int i = 0; i < 3; i++) {
            assertEquals(200, ask("unparsed " + i).statusCode(), "the old routes still answer");
        }
        replaceTemplate(withFailingStep(original));
        assertTrue(eventually(RELOAD_WAIT, this::editApplied), "the mended template applies");
    }
}
