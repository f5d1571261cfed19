package dev.llmpool.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.llmpool.fixture.FakeBackend;
import dev.llmpool.startup.FreePorts;

/**
 * Issue 16 item 9: the service starts from a configuration with only the keys it cannot guess (one provider, one
 * task): every other key has a real default. Run as its own process in an empty working directory, as an operator
 * would run the jar, so that no shipped file fills the gaps (the routes and prompts come from the classpath).
 */
class MinimalConfigTest {

    @Test
    void aConfigurationWithOneProviderAndOneTaskStarts() throws Exception {
        FakeBackend backend = FakeBackend.start();
        backend.model("phi3:mini").answer("minimal says hello");
        Path dir = Files.createTempDirectory("llmpool-minimal");
        Files.writeString(dir.resolve("application.properties"), """
                pool.providers.only.url=%s
                pool.providers.only.model=phi3:mini
                pool.tasks.expand_queries.providers=only
                """.formatted(backend.url()));
        int port = FreePorts.next();
        int grpcPort = FreePorts.next();
        Process service = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dpool.http.port=" + port, "-Dpool.grpc.port=" + grpcPort,
                "dev.llmpool.Application")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("service.log").toFile())
                .start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpRequest infer = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                    .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"expand_queries\",\"prompt\":\"hi\"}")).build();
            HttpResponse<String> answer = null;
            long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (System.nanoTime() < until && service.isAlive()) {
                try {
                    answer = http.send(infer, HttpResponse.BodyHandlers.ofString());
                    if (answer.statusCode() == 200) {
                        break;
                    }
                } catch (java.io.IOException notYetListening) {
                    // starting
                }
                Thread.sleep(250);
            }
            String log = Files.readString(dir.resolve("service.log"));
            assertTrue(answer != null, "the service never answered; its log:\n" + tail(log));
            assertEquals(200, answer.statusCode(), answer.body() + "\n" + tail(log));
            assertTrue(answer.body().contains("minimal says hello"), answer.body());
            assertTrue(!log.contains("not found"), tail(log));
        } finally {
            service.destroy();
            service.waitFor();
            backend.stop();
        }
    }

    private static String tail(String log) {
        return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    }
}
