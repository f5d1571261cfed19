package dev.llmpool.health;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToIntFunction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.ProviderUrls;
import dev.llmpool.ensemble.FailureReasons;
import dev.llmpool.providers.Dialect;

/**
 * Polls every provider's model list ({@code /api/tags} or {@code /v1/models}) in parallel, at each of its replicas; a
 * replica is UP only when it answers and lists its configured model, a provider while any of its replicas is. Called
 * by the {@code health-check} timer route.
 *
 * <p>Busy is not dead: an engine generating for several callers can be too slow to list its models in time. A check
 * that times out while the provider has calls in flight and its last finished call got its answer leaves it UP, with
 * {@code last_error} saying it is busy. Its calls tell the rest: once one fails (or times out), the next timed-out
 * check marks it DOWN; a refused connection or a wrong answer is DOWN at once.
 */
public class HealthChecker {

    private static final Logger LOG = LoggerFactory.getLogger(HealthChecker.class);

    private final ConfigStore config;
    private final HealthRegistry registry;
    private final ProducerTemplate template;
    private final ObjectMapper mapper;
    private final long timeoutMs;
    private final ToIntFunction<String> inFlight;

    /** @param inFlight a provider's calls in flight now */
    public HealthChecker(ConfigStore config, HealthRegistry registry, ProducerTemplate template, ObjectMapper mapper,
                         long timeoutMs, ToIntFunction<String> inFlight) {
        this.config = config;
        this.registry = registry;
        this.template = template;
        this.mapper = mapper;
        this.timeoutMs = timeoutMs;
        this.inFlight = inFlight;
    }

    public void checkAll() {
        List<CompletableFuture<Void>> checks = new ArrayList<>();
        for (ProviderConfig p : config.current().providers().values()) {
            try {
                checks.add(check(p));
            } catch (RuntimeException e) { // the check could not even be sent: keep what is known, try next round
                LOG.warn("event=health_check_error provider={} reason=\"{}\"", p.name(), FailureReasons.describe(e));
            }
        }
        CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).join();
    }

    /** One replica's check: its problem, or null when it answers and lists the model. */
    private record Result(String url, long ms, Throwable error, String problem) {
    }

    /**
     * Checks every replica of the provider (without keep-alive: an engine's few HTTP threads are for calls); the
     * provider is UP while any of its replicas is, and each replica's own result goes to the registry for /health.
     */
    private CompletableFuture<Void> check(ProviderConfig p) {
        Dialect dialect = Dialect.of(p.kind());
        List<CompletableFuture<Result>> replicas = new ArrayList<>();
        for (String url : p.replicaUrls()) {
            replicas.add(check(p, dialect, url));
        }
        return CompletableFuture.allOf(replicas.toArray(CompletableFuture[]::new)).thenRun(() -> {
            List<Result> results = replicas.stream().map(CompletableFuture::join).toList();
            long now = System.currentTimeMillis();
            for (Result r : results) {
                registry.recordReplica(p.name(), r.url(), r.problem() == null
                        ? new ProviderHealth(ProviderHealth.Status.UP, r.ms(), null, now)
                        : new ProviderHealth(ProviderHealth.Status.DOWN, r.ms(), r.problem(), now));
            }
            Result best = results.stream().filter(r -> r.problem() == null).findFirst().orElse(results.get(0));
            long ms = best.ms();
            String problem = best.problem() == null || results.size() == 1 ? best.problem()
                    : "every replica failed its check; " + ProviderUrls.masked(best.url()) + ": " + best.problem();
            ProviderHealth before = registry.get(p.name());
            int calls = inFlight.applyAsInt(p.name());
            boolean busy = problem != null && FailureReasons.isTimeout(best.error())
                    && before.status() == ProviderHealth.Status.UP && calls > 0 && !registry.lastCallFailed(p.name());
            ProviderHealth health = problem == null ? new ProviderHealth(ProviderHealth.Status.UP, ms, null, now)
                    : busy ? new ProviderHealth(ProviderHealth.Status.UP, before.latencyMs(),
                            "busy: health check timed out after " + ms + " ms with " + calls + " calls in flight", now)
                    : new ProviderHealth(ProviderHealth.Status.DOWN, ms, problem, now);
            if (before.status() != health.status() || busy) {
                LOG.info("event=provider_health provider={} status={} was={} reason=\"{}\"", p.name(),
                        health.status(), before.status(), health.lastError() == null ? "" : health.lastError());
            }
            registry.record(p.name(), health);
        });
    }

    private CompletableFuture<Result> check(ProviderConfig p, Dialect dialect, String url) {
        String uri = "vertx-http:" + url + dialect.modelsPath() + "?httpMethod=GET&throwExceptionOnFailure=false"
                + "&timeout=" + timeoutMs + "&webClientOptions=#healthClientOptions";
        long started = System.nanoTime();
        // The first check runs while Camel is still starting, and an endpoint made then is not started (its web
        // client would be missing): start it here (a no-op once started).
        Endpoint endpoint = template.getCamelContext().getEndpoint(uri);
        ServiceHelper.startService(endpoint);
        return template.asyncSend(endpoint, ex -> { })
                .handle((ex, error) -> {
                    long ms = (System.nanoTime() - started) / 1_000_000;
                    Throwable failure = error != null ? error : ex.getException();
                    return new Result(url, ms, failure, error != null ? FailureReasons.describe(error) : problem(ex, dialect, p));
                });
    }

    private String problem(Exchange ex, Dialect dialect, ProviderConfig p) {
        if (ex.getException() != null) {
            return FailureReasons.describe(ex.getException());
        }
        int status = ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        if (status != 200) {
            return "HTTP " + status + " from " + dialect.modelsPath();
        }
        try {
            JsonNode body = mapper.readTree(ex.getMessage().getBody(byte[].class));
            return body != null && dialect.listsModel(body, p.model()) ? null
                    : "model '" + p.model() + "' is not listed by " + dialect.modelsPath();
        } catch (IOException | IllegalArgumentException e) {
            return "invalid JSON from " + dialect.modelsPath();
        }
    }
}
