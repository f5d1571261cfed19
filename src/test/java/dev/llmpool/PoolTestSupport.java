package dev.llmpool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Properties;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.support.ResourceReloadStrategySupport;
import org.apache.camel.test.main.junit5.CamelMainTestSupport;

import dev.llmpool.fixture.FakeBackend;
import dev.llmpool.startup.FreePorts;

/**
 * Runs the real service (YAML routes, beans, platform-http on a free port) against three fake backends on
 * loopback, one per provider of the shipped configuration: phi3 on {@link #A}, llama31 on {@link #B},
 * gemma2 on {@link #C}. The service's configuration is the shipped {@code application.properties} with the
 * URLs pointed at the fakes, plus {@link #extraConfig()}; routes run from a temp copy of {@code routes/} so
 * tests may edit them. Backends are shared by all tests and reset before each one.
 */
public abstract class PoolTestSupport extends CamelMainTestSupport {

    protected static final FakeBackend A = FakeBackend.start();
    protected static final FakeBackend B = FakeBackend.start();
    protected static final FakeBackend C = FakeBackend.start();
    protected static final ObjectMapper JSON = new ObjectMapper();
    protected static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    protected Path workDir;
    protected Path configFile;
    protected int port;
    /** The gRPC API's port (free, so that no test binds the default 7070). */
    protected int grpcPort;

    @Override
    protected Class<?> getMainClass() {
        return Application.class;
    }

    /** Runs before the service starts, so its first health checks see healthy backends. */
    @Override
    protected void setupResources() throws Exception {
        super.setupResources();
        for (FakeBackend b : new FakeBackend[] {A, B, C}) {
            b.resetAll();
        }
        A.model("phi3:mini").answer("phi3 says hello");
        B.model("llama3.1:8b").answer("llama says hello");
        C.model("gemma2:9b").answer("gemma says hello");
    }

    /** Tests start once the first health check has judged every provider, so they never race it. */
    @org.junit.jupiter.api.BeforeEach
    void awaitFirstHealthCheck() {
        boolean checked = eventually(Duration.ofSeconds(10), () -> {
            HttpResponse<String> r = get("/health");
            for (JsonNode p : json(r).path("providers")) {
                if (p.path("status").asText().equals("UNKNOWN")) {
                    return false;
                }
            }
            return true;
        });
        if (!checked) {
            throw new IllegalStateException("the first health check did not complete");
        }
    }

    /** Waits (polling, bounded) until the condition holds; for effects no event announces, like a reload. */
    protected static boolean eventually(Duration limit, java.util.function.BooleanSupplier condition) {
        long until = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < until) {
            if (condition.getAsBoolean()) {
                return true;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
        }
        return condition.getAsBoolean();
    }

    /** Extra configuration lines appended to the shipped file (e.g. test-only tasks). */
    protected String extraConfig() {
        return "";
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        try {
            workDir = Files.createTempDirectory("llmpool-test");
            Path routes = Files.createDirectory(workDir.resolve("routes"));
            try (Stream<Path> files = Files.list(Path.of("routes"))) {
                for (Path f : files.toList()) {
                    Files.copy(f, routes.resolve(f.getFileName()));
                }
            }
            configFile = workDir.resolve("application.properties");
            writeConfig(shippedConfig() + "\n" + extraConfig());
            port = freePort();
            grpcPort = freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Properties p = new Properties();
        p.put("pool.config.file", configFile.toString());
        p.put("pool.http.port", String.valueOf(port));
        p.put("pool.grpc.port", String.valueOf(grpcPort));
        p.put("camel.main.routesIncludePattern", "file:" + workDir.resolve("routes") + "/*.camel.yaml");
        p.put("camel.main.routesReloadDirectory", workDir.resolve("routes").toString());
        p.put("pool.config.reload-interval-ms", "200");
        // A health check that times out marks its provider DOWN until the next round (5 s later), and the tests then
        // see it left out: the shipped 1 s is too short for the first check in a JVM on a loaded machine.
        p.put("pool.health.timeout-ms", "5000");
        return p;
    }

    protected static String shippedConfig() throws IOException {
        String text = Files.readString(Path.of("application.properties"));
        return text
                .replace("pool.providers.phi3.url=http://localhost:11434", "pool.providers.phi3.url=" + A.url())
                .replace("pool.providers.llama31.url=http://localhost:11434", "pool.providers.llama31.url=" + B.url())
                .replace("pool.providers.gemma2.url=http://localhost:11434", "pool.providers.gemma2.url=" + C.url());
    }

    /** Replaces the service's config file the way an operator's editor should: write aside, then move. */
    protected void writeConfig(String text) throws IOException {
        Path tmp = configFile.resolveSibling("application.properties.tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, configFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Replaces a file of the service's routes/ copy the way an operator's editor should: write aside, then move. */
    protected void replaceRouteFile(String name, String text) throws IOException {
        Path target = workDir.resolve("routes").resolve(name);
        Path tmp = workDir.resolve(name + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Camel's watcher of routes/: its counters tell whether an edited file was loaded or rejected. */
    protected ResourceReloadStrategySupport routeWatcher() {
        return context.hasService(ResourceReloadStrategySupport.class);
    }

    protected HttpResponse<String> post(String path, String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b.build());
    }

    protected HttpResponse<String> infer(String json) {
        return post("/v1/infer", "application/json", json);
    }

    protected HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).GET().build());
    }

    protected static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    protected static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    private static int freePort() throws IOException {
        return FreePorts.next();  // not from the ephemeral range: see FreePorts
    }
}
