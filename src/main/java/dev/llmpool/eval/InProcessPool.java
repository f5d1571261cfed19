package dev.llmpool.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.main.Main;
import org.apache.camel.support.DefaultExchange;

import dev.llmpool.Application;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.PoolConfig;

/**
 * The pool itself, started inside the evaluation's JVM with the service's configuration (the working directory's
 * application.properties and routes/, as {@code java -jar llm-pool.jar} reads them), but without its doors: only
 * the in-process routes run ({@link #INTERNAL_ROUTES}: the core route {@code direct:infer}, the ensemble, the
 * provider routes, the health-check and reload timers), so no port is opened and no queue is consumed. Each
 * request goes into {@code direct:infer} as the {@code /v1/infer} JSON, as the HTTP door sends it.
 */
final class InProcessPool implements AutoCloseable {

    /** The door the evaluation's requests come in by ({@link RequestState#api()}). */
    static final String API = "eval";
    /** Routes whose input is one of these run; every door (platform-http, grpc, kafka, jms, ...) is left out. */
    static final String INTERNAL_ROUTES = "direct:*,timer:*";

    /** The core route's answer: the HTTP status and body it would have sent, and the time it took. */
    record Reply(int status, JsonNode body, long nanos) {
    }

    private final Main main;
    private final CamelContext camel;
    private final ProducerTemplate template;
    private final ObjectMapper mapper;
    private final Path configSnapshot;

    private InProcessPool(Main main, ObjectMapper mapper, Path configSnapshot) {
        this.main = main;
        this.configSnapshot = configSnapshot;
        this.camel = main.getCamelContext();
        this.template = camel.createProducerTemplate();
        this.mapper = mapper;
    }

    /**
     * The configuration the pool will start with, read without starting it: the file {@code pool.config.file} names
     * (application.properties in the working directory, else the jar's), with system properties, environment
     * variables and the {@code pool.*} keys of {@code overrides} applied as the service applies them.
     */
    static PoolConfig readConfig(Properties overrides) {
        Properties poolKeys = new Properties();
        overrides.forEach((k, v) -> {
            if (k.toString().startsWith("pool.")) {
                poolKeys.put(k, v);
            }
        });
        return new ConfigStore(configFile(overrides), Path.of("."), poolKeys).current();
    }

    /**
     * Starts the pool; {@code overrides} win over the configuration (tests point it at their backends).
     *
     * <p>The pool runs on a copy of the configuration file taken now, so every row is measured under the same
     * configuration whatever edits happen meanwhile, with one change: each provider's calls wait for a free slot
     * up to the longest deadline ({@code max-concurrency-wait-ms}) instead of failing as busy. The evaluation's own
     * requests would otherwise make providers busy (a VOTING request decided by two answers leaves its third call
     * running for a moment, holding a slot the next request then cannot have), which would measure its load, not
     * the strategy. (A file, because the pool reads its {@code pool.*} keys from its file, system properties and
     * environment variables, not from camel-main's override properties.)
     */
    static InProcessPool start(Properties overrides, PoolConfig config, ObjectMapper mapper) throws Exception {
        StringBuilder snapshot = new StringBuilder(readText(configFile(overrides)));
        snapshot.append("\n\n# Added by llm-pool eval: calls wait for a free slot rather than fail as busy\n");
        for (String provider : config.providers().keySet()) {
            snapshot.append("pool.providers.").append(provider).append(".max-concurrency-wait-ms=")
                    .append(config.limits().maxDeadlineMs()).append('\n');
        }
        Path file = Files.createTempFile("llm-pool-eval-", ".properties");
        file.toFile().deleteOnExit();
        Files.writeString(file, snapshot, StandardCharsets.UTF_8);
        Main main = Application.create();
        overrides.forEach((k, v) -> main.addOverrideProperty(k.toString(), v.toString()));
        main.addOverrideProperty("pool.config.file", file.toString());
        main.addOverrideProperty("camel.server.enabled", "false");              // no HTTP server
        main.addOverrideProperty("camel.main.routeFilterIncludePattern", INTERNAL_ROUTES);
        main.addOverrideProperty("camel.main.routesReloadEnabled", "false");
        // Eval requests bypass the cache, which still stores fresh answers: keep those in this process, never in a
        // Redis that running instances share.
        main.addOverrideProperty("pool.cache.backend", "caffeine");
        main.addOverrideProperty("pool.cache.exact-repeats", "false");
        main.start();
        return new InProcessPool(main, mapper, file);
    }

    /** The file the service reads its pool.* keys from ({@code pool.config.file}, as the service resolves it). */
    private static Path configFile(Properties overrides) {
        return Path.of(overrides.getProperty("pool.config.file", System.getProperty("pool.config.file",
                Optional.ofNullable(System.getenv("POOL_CONFIG_FILE")).orElse("application.properties"))));
    }

    /** The file's text; the jar's application.properties when there is no such file (as ConfigStore does). */
    private static String readText(Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            return Files.readString(file, StandardCharsets.UTF_8);
        }
        try (InputStream in = InProcessPool.class.getClassLoader().getResourceAsStream("application.properties")) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The configuration the core route serves with now. */
    PoolConfig config() {
        return camel.getRegistry().lookupByNameAndType("configStore", ConfigStore.class).current();
    }

    /**
     * The health report ({@code GET /health}'s body), once every provider has been checked or {@code limit} has
     * passed: requests then see the providers as the running service does (one found down is left out at once).
     */
    JsonNode awaitFirstHealthCheck(Duration limit) throws Exception {
        Processor reporter = camel.getRegistry().lookupByNameAndType("healthReporter", Processor.class);
        long until = System.nanoTime() + limit.toNanos();
        while (true) {
            Exchange exchange = new DefaultExchange(camel);
            reporter.process(exchange);
            JsonNode report = mapper.readTree(exchange.getMessage().getBody(String.class));
            boolean checked = true;
            for (JsonNode p : report.path("providers")) {
                checked &= !p.path("status").asText().equals("UNKNOWN");
            }
            if (checked || System.nanoTime() > until) {
                return report;
            }
            LockSupport.parkNanos(50_000_000);
        }
    }

    /**
     * Sends one request through the core route and waits for its answer. {@code onlyProvider}, when not null,
     * narrows the task to that one configured provider (the request should then ask for FASTEST).
     */
    Reply infer(Map<String, Object> request, String requestId, String onlyProvider) throws Exception {
        byte[] body = mapper.writeValueAsBytes(request);
        long started = System.nanoTime();
        Exchange answer = template.send("direct:infer", exchange -> {
            RequestState state = RequestState.of(exchange);
            state.setApi(API);
            state.setOnlyProvider(onlyProvider);
            exchange.getIn().setHeader(Exchange.CONTENT_TYPE, "application/json");
            exchange.getIn().setHeader("X-Request-Id", requestId);
            exchange.getIn().setBody(body);
        });
        long nanos = System.nanoTime() - started;
        if (answer.getException() != null) {  // the core route answers its own errors; this would be a defect
            return new Reply(500, mapper.createObjectNode().set("error", mapper.createObjectNode()
                    .put("code", "internal").put("message", String.valueOf(answer.getException().getMessage()))), nanos);
        }
        Integer status = answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        String text = answer.getMessage().getBody(String.class);
        return new Reply(status == null ? 200 : status, text == null ? mapper.nullNode() : mapper.readTree(text), nanos);
    }

    @Override
    public void close() {
        try {
            template.stop();
        } catch (Exception e) {
            // stopping the context below stops it too
        }
        main.stop();
        try {
            Files.deleteIfExists(configSnapshot);
        } catch (IOException e) {
            // deleted on exit
        }
    }
}
