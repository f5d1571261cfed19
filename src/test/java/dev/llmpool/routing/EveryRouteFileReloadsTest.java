package dev.llmpool.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import org.apache.camel.Route;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.ResourceReloadStrategySupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.grpc.v1.InferReply;
import dev.llmpool.grpc.v1.InferRequest;
import dev.llmpool.grpc.v1.LlmPoolGrpc;

/**
 * Every file of {@code routes/}, edited while the service runs: a route appended to it serves (the file's edits apply
 * live) and a door the file defines still answers; the file replaced by YAML that does not parse is rejected by the
 * watcher while that door, and every route the file defines, keep serving; then the file as shipped loads again. The
 * cases come from the directory's listing, so a new route file is covered without a change here.
 */
class EveryRouteFileReloadsTest extends PoolTestSupport {

    private static final Duration RELOAD_WAIT = Duration.ofSeconds(15);
    private static final String SUFFIX = ".camel.yaml";
    private static final String MARKER = "reload-probe-";
    private static final Pattern DECLARED_ROUTE = Pattern.compile("(?m)^- route:\\s*\\n\\s+id:\\s*\"?([\\w-]+)");
    private static final String BROKEN = "- route:\n    id: broken\n    from: [this is: not: valid yaml\n";

    /** Room to answer on a loaded machine: the shipped deadline is for real backends, not for a busy test JVM. */
    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\n";
    }

    static Stream<String> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(SUFFIX)).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routeFiles")
    void anEditAppliesLiveAndABrokenEditIsRejectedWhileTheFileKeepsServing(String file) throws Exception {
        String stem = file.substring(0, file.length() - SUFFIX.length());
        String probe = "/v1/reload-probe/" + stem;
        String original = Files.readString(workDir.resolve("routes").resolve(file));
        ResourceReloadStrategySupport watcher = routeWatcher();
        Map<String, String> routes = routesFrom(file);
        assertEquals(declaredRoutes(original), routes.keySet(), file + ": every route the file declares runs");
        assertEquals(404, get(probe).statusCode(), "no marker route before the edit");
        doorAnswers(stem);

        boolean restored;
        try {
            Map<String, Route> before = liveRoutes(routes.keySet());
            long reloadsBefore = watcher.getReloadCounter();
            replaceRouteFile(file, original + marker(stem));
            // the whole reload done: an edited route configuration (errors) reloads the other files after this one
            assertTrue(eventually(RELOAD_WAIT, () -> watcher.getReloadCounter() > reloadsBefore), file + ": reloaded");
            assertTrue(eventually(RELOAD_WAIT, () -> get(probe).statusCode() == 200), file + ": the appended route serves");
            assertEquals(stem, get(probe).body());
            assertEquals(routes, routesFrom(file), file + ": its routes run as before");
            Map<String, Route> after = liveRoutes(routes.keySet());
            for (String id : routes.keySet()) {
                assertTrue(before.get(id) != after.get(id), file + ": route " + id + " was rebuilt from the edited file");
            }
            doorAnswers(stem);

            long failedBefore = watcher.getFailedCounter();
            replaceRouteFile(file, BROKEN);
            assertTrue(eventually(RELOAD_WAIT, () -> watcher.getFailedCounter() > failedBefore),
                    file + ": the watcher rejected the broken file");
            assertEquals(routes, routesFrom(file), file + ": its routes are still there, as they were");
            assertEquals(after, liveRoutes(routes.keySet()), file + ": the very same routes");
            doorAnswers(stem);
            assertEquals(stem, get(probe).body(), file + ": the route appended before still serves");
        } finally {
            restored = restore(file, original, stem);
        }
        assertTrue(restored, file + ": the file as shipped was loaded again, the route deleted from it removed");
        assertEquals(404, get(probe).statusCode(), file + ": the marker route is gone");
        assertEquals(routes, routesFrom(file), file + ": as shipped again");
        doorAnswers(stem);
    }

    /** The ids of the routes the file declares (a route's id is the first key under its {@code - route:}). */
    private static Set<String> declaredRoutes(String yaml) {
        Set<String> ids = new TreeSet<>();
        Matcher m = DECLARED_ROUTE.matcher(yaml);
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    private static String marker(String stem) {
        return """

                - route:
                    id: %1$s%2$s
                    from:
                      id: from-%1$s%2$s
                      uri: platform-http:/v1/reload-probe/%2$s
                      steps:
                        - setBody:
                            id: %1$s%2$s-body
                            constant: %2$s
                """.formatted(MARKER, stem);
    }

    /**
     * Puts the file back as shipped and waits until the watcher loaded it and the marker route, no longer in the file,
     * is gone: DeletedRoutes removes it (Camel's reload alone would leave it running). It learns which files were
     * reloaded from their routes, so a file with no route of its own (route configurations, the provider template)
     * cannot tell it: there the test removes the marker itself, as an operator would have to restart.
     */
    private boolean restore(String file, String original, String stem) throws Exception {
        ResourceReloadStrategySupport watcher = routeWatcher();
        long reloadsBefore = watcher.getReloadCounter();
        replaceRouteFile(file, original);
        boolean reloaded = eventually(RELOAD_WAIT, () -> watcher.getReloadCounter() > reloadsBefore);
        if (declaredRoutes(original).isEmpty()) {
            context.getRouteController().stopRoute(MARKER + stem);
            context.removeRoute(MARKER + stem);
        }
        return reloaded && eventually(RELOAD_WAIT, () -> context.getRoute(MARKER + stem) == null);
    }

    private Map<String, Route> liveRoutes(Set<String> ids) {
        Map<String, Route> routes = new TreeMap<>();
        for (String id : ids) {
            routes.put(id, context.getRoute(id));
        }
        return routes;
    }

    /** The routes the file defines (not the marker), with their status: a queue's route stays stopped when unconfigured. */
    private Map<String, String> routesFrom(String file) {
        Map<String, String> routes = new TreeMap<>();
        for (Route r : context.getRoutes()) {
            Resource source = r.getSourceResource();
            if (source != null && source.getLocation().endsWith("/" + file) && !r.getRouteId().startsWith(MARKER)) {
                routes.put(r.getRouteId(), context.getRouteController().getRouteStatus(r.getRouteId()).name());
            }
        }
        return routes;
    }

    /** One cheap request through a door the file defines, checked as its tests check it. */
    private void doorAnswers(String stem) {
        switch (stem) {
            case "errors" -> invalidRequestGetsTheErrorShape();
            case "grpc-api" -> grpcInferAnswers();
            case "judge" -> judgeAnswers();
            case "ollama-api" -> ollamaChatAnswers();
            case "openai-api" -> openAiChatAnswers();
            case "ops" -> operationsPageAnswers();
            // The timers and the queues' consumers (which start only when their broker is configured) have no door a
            // test can knock on cheaply: for them, routesFrom and the marker route are the check.
            case "maintenance", "queue-jms", "queue-kafka" -> { }
            // http-api and infer are the /v1/infer door; providers' routes serve every request; a new file at least
            // leaves the core answering.
            default -> inferAnswers();
        }
    }

    /** A fresh prompt each time: a cache hit would answer without the routes under test. */
    private static String fresh() {
        return "reload " + System.nanoTime();
    }

    private void inferAnswers() {
        HttpResponse<String> r = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"" + fresh() + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("phi3 says hello", json(r).path("content").asText(), r.body());
    }

    private void invalidRequestGetsTheErrorShape() {
        HttpResponse<String> r = infer("{\"prompt\":\"hi\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        JsonNode body = json(r);
        assertEquals("invalid_field", body.path("error").path("code").asText(), r.body());
        assertEquals("task", body.path("error").path("field").asText(), r.body());
        assertFalse(body.path("request_id").asText().isBlank(), r.body());
    }

    private void judgeAnswers() {
        HttpResponse<String> r = infer("{\"task\":\"site_tactics\",\"prompt\":\"" + fresh() + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals("JUDGE", body.path("strategy_used").asText(), r.body());
        assertTrue(body.path("models_queried").toString().contains("gemma2:9b"), "both candidates: " + r.body());
        assertEquals("llama3.1:8b", body.path("judge").path("model").asText(), r.body());
    }

    private void ollamaChatAnswers() {
        HttpResponse<String> r = post("/api/chat", "application/json", "{\"model\":\"enrich_metadata\",\"stream\":false,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + fresh() + "\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("phi3 says hello", json(r).path("message").path("content").asText(), r.body());
    }

    private void openAiChatAnswers() {
        HttpResponse<String> r = post("/v1/chat/completions", "application/json",
                "{\"model\":\"enrich_metadata\",\"messages\":[{\"role\":\"user\",\"content\":\"" + fresh() + "\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("phi3 says hello", json(r).path("choices").path(0).path("message").path("content").asText(), r.body());
    }

    private void operationsPageAnswers() {
        HttpResponse<String> r = get("/ui/");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), r.headers().toString());
        assertEquals(200, get("/ui/api/status").statusCode());
    }

    private void grpcInferAnswers() {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        try {
            InferReply r = LlmPoolGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .infer(InferRequest.newBuilder().setTask("enrich_metadata").setPrompt(fresh()).build());
            assertEquals("phi3 says hello", r.getContent());
        } finally {
            channel.shutdownNow();
        }
    }
}
