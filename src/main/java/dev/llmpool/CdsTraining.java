package dev.llmpool;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.stream.Collectors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.camel.main.Main;

import dev.llmpool.startup.FreePorts;

/**
 * The training run behind the class data sharing archive (docs/performance.md, start-up). {@code mvn package} runs
 * it with {@code -XX:ArchiveClassesAtExit=target/llm-pool.jsa}; the run command maps that archive with
 * {@code -XX:SharedArchiveFile=target/llm-pool.jsa}, so a start no longer loads, parses and verifies the ~8,000
 * classes start-up needs from the jar (about half its CPU time). It does what a first start does: boots the pool as
 * {@link Application} does (packaged configuration and routes, free ports), with every provider pointed at a
 * stand-in Ollama in this process, serves a few requests of each kind, and stops.
 */
public final class CdsTraining {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        Properties packaged = new Properties();
        try (InputStream in = CdsTraining.class.getClassLoader().getResourceAsStream("application.properties")) {
            packaged.load(in);
        }
        HttpServer ollama = standInOllama(packaged);
        int port = freePort();
        String backend = "http://127.0.0.1:" + ollama.getAddress().getPort();
        // system properties override the configuration file (docs/configuration.md)
        for (String key : packaged.stringPropertyNames()) {
            if (key.startsWith("pool.providers.") && key.endsWith(".url")) {
                System.setProperty(key, backend);
                System.setProperty(key.replaceFirst("\\.url$", ".kind"), "ollama");
            }
        }
        System.setProperty("pool.http.port", String.valueOf(port));
        System.setProperty("pool.grpc.port", String.valueOf(freePort()));
        System.setProperty("pool.limits.max-deadline-ms", "30000"); // a cold JVM on a busy machine is slow

        Main main = Application.create();
        main.start();
        try {
            String base = "http://127.0.0.1:" + port;
            // the task with the most providers, so that VOTING and JUDGE fan out
            String task = packaged.stringPropertyNames().stream().filter(k -> k.matches("pool\\.tasks\\.[^.]+\\.providers"))
                    .max(java.util.Comparator.comparingInt((String k) -> packaged.getProperty(k).split(",").length)
                            .thenComparing(java.util.Comparator.reverseOrder()))
                    .map(k -> k.split("\\.")[2]).orElseThrow();
            for (String body : new String[] {
                    "{\"task\":\"" + task + "\",\"prompt\":\"training\",\"cache\":false}",
                    "{\"task\":\"" + task + "\",\"prompt\":\"training\",\"strategy\":\"VOTING\",\"cache\":false}",
                    "{\"task\":\"" + task + "\",\"prompt\":\"training\",\"strategy\":\"JUDGE\",\"cache\":false}",
                    "{\"task\":\"" + task + "\",\"prompt\":\"training\"}",
                    "{\"task\":\"" + task + "\",\"prompt\":\"training\"}", // a cache hit
                    "{\"task\":\"no_such_task\",\"prompt\":\"training\"}",
                    "{\"prompt\":1}"}) {
                send(HttpRequest.newBuilder(URI.create(base + "/v1/infer")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)), body);
            }
            send(HttpRequest.newBuilder(URI.create(base + "/health")).GET(), "GET /health");
            send(HttpRequest.newBuilder(URI.create(base + "/metrics")).GET(), "GET /metrics");
        } finally {
            main.stop();
            ollama.stop(0);
        }
        System.exit(0); // the archive is written as the JVM exits
    }

    private static void send(HttpRequest.Builder request, String what) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(request.timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        System.out.println("training: " + what + " -> " + r.statusCode());
    }

    /** Just enough of Ollama's API: every configured model listed, every chat answered at once. */
    private static HttpServer standInOllama(Properties packaged) throws IOException {
        String models = packaged.stringPropertyNames().stream().filter(k -> k.matches("pool\\.providers\\.[^.]+\\.model"))
                .map(k -> "{\"name\":\"" + packaged.getProperty(k) + "\"}").collect(Collectors.joining(","));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/tags", ex -> reply(ex, "{\"models\":[" + models + "]}"));
        server.createContext("/api/chat", ex -> reply(ex, "{\"model\":\"training\",\"message\":{\"role\":\"assistant\","
                + "\"content\":\"[\\\"ok\\\"]\"},\"done\":true,\"prompt_eval_count\":1,\"eval_count\":1}"));
        server.start();
        return server;
    }

    private static void reply(HttpExchange ex, String json) throws IOException {
        ex.getRequestBody().readAllBytes();
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static int freePort() throws IOException {
        return FreePorts.next();  // not from the ephemeral range: see FreePorts
    }
}
