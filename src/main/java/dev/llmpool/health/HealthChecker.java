package dev.llmpool.health;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

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
import dev.llmpool.ensemble.FailureReasons;
import dev.llmpool.providers.Dialect;

/**
 * Polls every provider's model list ({@code /api/tags} or {@code /v1/models}) in parallel; a provider is UP
 * only when it answers and lists its configured model. Called by the {@code health-check} timer route.
 */
public class HealthChecker {

    private static final Logger LOG = LoggerFactory.getLogger(HealthChecker.class);

    private final ConfigStore config;
    private final HealthRegistry registry;
    private final ProducerTemplate template;
    private final ObjectMapper mapper;
    private final long timeoutMs;

    public HealthChecker(ConfigStore config, HealthRegistry registry, ProducerTemplate template, ObjectMapper mapper,
                         long timeoutMs) {
        this.config = config;
        this.registry = registry;
        this.template = template;
        this.mapper = mapper;
        this.timeoutMs = timeoutMs;
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

    private CompletableFuture<Void> check(ProviderConfig p) {
        Dialect dialect = Dialect.of(p.kind());
        String uri = "vertx-http:" + p.url() + dialect.modelsPath() + "?httpMethod=GET&throwExceptionOnFailure=false"
                + "&timeout=" + timeoutMs + "&webClientOptions=#backendClientOptions";
        long started = System.nanoTime();
        // The first check runs while Camel is still starting, and an endpoint made then is not started (its web
        // client would be missing): start it here (a no-op once started).
        Endpoint endpoint = template.getCamelContext().getEndpoint(uri);
        ServiceHelper.startService(endpoint);
        return template.asyncSend(endpoint, ex -> { })
                .handle((ex, error) -> {
                    long ms = (System.nanoTime() - started) / 1_000_000;
                    String problem = error != null ? FailureReasons.describe(error) : problem(ex, dialect, p);
                    ProviderHealth before = registry.get(p.name());
                    ProviderHealth now = problem == null
                            ? new ProviderHealth(ProviderHealth.Status.UP, ms, null, System.currentTimeMillis())
                            : new ProviderHealth(ProviderHealth.Status.DOWN, ms, problem, System.currentTimeMillis());
                    if (before.status() != now.status()) {
                        LOG.info("event=provider_health provider={} status={} was={} reason=\"{}\"", p.name(),
                                now.status(), before.status(), problem == null ? "" : problem);
                    }
                    registry.record(p.name(), now);
                    return null;
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
