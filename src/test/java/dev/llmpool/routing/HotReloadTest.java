package dev.llmpool.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/** Route files and the pool's configuration change while the service runs; bad edits change nothing. */
class HotReloadTest extends PoolTestSupport {

    private static final Duration RELOAD_WAIT = Duration.ofSeconds(15);

    /**
     * The winner of expand_queries tells which configuration served a request: no hedge may blur it, and a slow
     * answer on a loaded machine must not run out the shipped 1.5 s deadline.
     */
    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.tasks.expand_queries.hedge-after-ms=20000
                """;
    }

    private static boolean eventually(java.util.function.BooleanSupplier condition) {
        return eventually(RELOAD_WAIT, condition);
    }

    private String winner() {
        HttpResponse<String> r = infer("{\"task\":\"expand_queries\",\"prompt\":\"x\"}");
        return r.statusCode() == 200 ? json(r).path("winner_provider").asText() : "status " + r.statusCode();
    }

    @Test
    void editedRouteFileTakesEffectWithoutRestart() throws Exception {
        String routes = Files.readString(workDir.resolve("routes/http-api.camel.yaml"));
        replaceRouteFile("http-api.camel.yaml", routes + """

                - route:
                    id: http-ping
                    from:
                      id: from-http-ping
                      uri: platform-http:/v1/ping
                      steps:
                        - setBody:
                            id: ping-body
                            constant: pong
                """);
        assertTrue(eventually(() -> get("/v1/ping").statusCode() == 200), "the new route serves");
        assertEquals("pong", get("/v1/ping").body());
        assertTrue(eventually(() -> winner().equals("phi3")), "the existing routes still serve");
    }

    /**
     * Camel's watcher reloads only the saved file; an edited route configuration must still reach the routes of the
     * other files (RouteConfigurationEdits reloads them with it), here the caller-facing error handler that
     * infer.camel.yaml's routes name.
     */
    @Test
    void editedErrorHandlerReachesTheRoutesOfEveryFile() throws Exception {
        String errors = Files.readString(workDir.resolve("routes/errors.camel.yaml"));
        String invalid = "{\"task\":\"expand_queries\"}"; // no prompt: the api-errors handler answers 400
        HttpResponse<String> before = infer(invalid);
        assertEquals(400, before.statusCode(), before.body());
        String step = "                id: write-error\n                ref: errorResponder\n";
        assertTrue(errors.contains(step), "the api-errors handler as the test expects it");
        replaceRouteFile("errors.camel.yaml", errors.replace(step, step
                + "            - setHeader:\n"
                + "                id: mark-error-handler\n"
                + "                name: CamelHttpResponseCode\n"
                + "                constant: 418\n"));
        assertTrue(eventually(() -> infer(invalid).statusCode() == 418),
                "the edited handler answers for infer.camel.yaml's routes without that file being saved");
        HttpResponse<String> r = infer(invalid);
        assertEquals(json(before).path("error").path("code").asText(), json(r).path("error").path("code").asText(),
                "the same error body as before the edit: " + r.body());
        assertEquals("phi3", winner(), "the routes still serve");
    }

    @Test
    void brokenRouteFileIsRejectedAndTheRunningRoutesKeepServing() throws Exception {
        assertEquals("phi3", winner());
        var watcher = routeWatcher();
        long failedBefore = watcher.getFailedCounter();
        String good = Files.readString(workDir.resolve("routes/infer.camel.yaml"));
        replaceRouteFile("infer.camel.yaml", "- route:\n    id: infer\n    from: [this is: not: valid yaml\n");
        assertTrue(eventually(() -> watcher.getFailedCounter() > failedBefore), "the watcher rejected the file");
        for (int i = 0; i < 5; i++) {
            assertEquals("phi3", winner(), "the old infer route still answers");
        }
        // Once the file is mended, reloads go on (until then Camel re-reads the broken file with any file saved).
        replaceRouteFile("infer.camel.yaml", good + """
                - route:
                    id: marker
                    from:
                      id: from-marker
                      uri: platform-http:/v1/marker
                      steps:
                        - setBody:
                            id: marker-body
                            constant: seen
                """);
        assertTrue(eventually(() -> get("/v1/marker").statusCode() == 200), "the mended file was loaded");
        assertTrue(eventually(() -> winner().equals("phi3")));
    }

    @Test
    void configEditAppliesWithoutRestart() throws Exception {
        assertEquals("phi3", winner());
        writeConfig(Files.readString(configFile).replace(
                "pool.tasks.expand_queries.providers=phi3,llama31", "pool.tasks.expand_queries.providers=llama31"));
        assertTrue(eventually(() -> winner().equals("llama31")), "the task now uses llama31");
    }

    @Test
    void invalidConfigEditIsRejectedAndTheOldConfigStays() throws Exception {
        String good = Files.readString(configFile);
        writeConfig(good.replace("pool.tasks.expand_queries.providers=phi3,llama31",
                "pool.tasks.expand_queries.providers=llama31,nosuchprovider"));
        // A valid edit of another key afterwards proves the reloader ran past the bad one.
        writeConfig(good.replace("pool.tasks.expand_queries.providers=phi3,llama31",
                "pool.tasks.expand_queries.providers=llama31,nosuchprovider")
                + "\npool.tasks.probe.providers=gemma2\npool.tasks.probe.prompt=prompts/expand_queries.md\n");
        writeConfig(good + "\npool.tasks.probe.providers=gemma2\npool.tasks.probe.prompt=prompts/expand_queries.md\n");
        assertTrue(eventually(() -> infer("{\"task\":\"probe\",\"prompt\":\"x\"}").statusCode() == 200));
        assertEquals("phi3", winner(), "expand_queries kept its valid configuration");
    }

    @Test
    void badStrategyOrMissingPromptNeverBecomesCurrent() throws Exception {
        String good = Files.readString(configFile);
        writeConfig(good + "\npool.tasks.expand_queries.strategy=BOGUS\n");
        writeConfig(good + "\npool.tasks.extra.providers=phi3\npool.tasks.extra.prompt=prompts/missing.md\n");
        writeConfig(good + "\npool.tasks.probe.providers=gemma2\npool.tasks.probe.prompt=prompts/expand_queries.md\n");
        assertTrue(eventually(() -> infer("{\"task\":\"probe\",\"prompt\":\"x\"}").statusCode() == 200));
        assertEquals(404, infer("{\"task\":\"extra\",\"prompt\":\"x\"}").statusCode());
        assertEquals("FASTEST", json(infer("{\"task\":\"expand_queries\",\"prompt\":\"x\"}")).path("strategy_used").asText());
    }

    @Test
    void requestInFlightFinishesUnderTheConfigItStartedWith() throws Exception {
        A.model("phi3:mini").latency(Duration.ofMillis(800));
        var arrived = A.onCall("phi3:mini");
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(
                () -> infer("{\"task\":\"enrich_metadata\",\"prompt\":\"x\"}"));
        assertTrue(arrived.await(5, TimeUnit.SECONDS));
        writeConfig(Files.readString(configFile).replace("pool.tasks.enrich_metadata.providers=phi3",
                "pool.tasks.enrich_metadata.providers=gemma2"));
        HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("phi3", json(r).path("winner_provider").asText());
        A.model("phi3:mini").reset();
        assertTrue(eventually(() -> {
            HttpResponse<String> next = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"x\"}");
            return next.statusCode() == 200 && json(next).path("winner_provider").asText().equals("gemma2");
        }), "later requests use the new configuration");
    }
}
