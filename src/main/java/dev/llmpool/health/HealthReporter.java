package dev.llmpool.health;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.HttpReply;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.ProviderUrls;
import dev.llmpool.config.TaskConfig;

/**
 * {@code GET /health}: each provider's last check, circuit state and last error, and each task's status. A provider
 * is usable when its last check did not fail and its circuit breaker is not open (the same rule that selects
 * providers); a task is UP when all its providers are usable, DEGRADED when some are, DOWN when none is. The pool
 * is UP when every provider is usable, DOWN (503) when no task can be served, DEGRADED (200) in between
 * (contract, "Deployment"). Readiness is another matter: /health/ready (lifecycle.HealthProbe).
 */
public class HealthReporter implements Processor {

    private final ConfigStore config;
    private final HealthRegistry registry;
    private final ObjectMapper mapper;

    private final dev.llmpool.resilience.ProviderGuards guards;

    public HealthReporter(ConfigStore config, HealthRegistry registry, ObjectMapper mapper) {
        this(config, registry, mapper, null);
    }

    /** @param guards the providers' replicas, listed under each provider; null lists none */
    public HealthReporter(ConfigStore config, HealthRegistry registry, ObjectMapper mapper,
                          dev.llmpool.resilience.ProviderGuards guards) {
        this.config = config;
        this.registry = registry;
        this.mapper = mapper;
        this.guards = guards;
    }

    @Override
    public void process(Exchange exchange) throws JsonProcessingException {
        PoolConfig cfg = config.current();
        ObjectNode body = mapper.createObjectNode();
        ArrayNode list = mapper.createArrayNode();
        int usable = 0;
        for (ProviderConfig p : cfg.providers().values()) {
            ProviderHealth h = registry.get(p.name());
            String circuit = registry.circuit(p.name());
            if (isUsable(p.name())) {
                usable++;
            }
            ObjectNode n = list.addObject();
            n.put("name", p.name()).put("model", p.model()).put("url", ProviderUrls.masked(p.url())).put("status", h.status().name())
                    .put("circuit", circuit);
            if (h.latencyMs() >= 0) {
                n.put("latency_ms", h.latencyMs());
            } else {
                n.putNull("latency_ms");
            }
            n.put("last_error", lastError(p.name(), h, circuit));
            if (guards != null) {
                ReplicaStatus.write(n, p, registry, guards);
            }
        }
        ArrayNode tasks = mapper.createArrayNode();
        int servable = 0;
        for (TaskConfig t : cfg.tasks().values()) {
            long usableOfTask = t.providers().stream().filter(this::isUsable).count();
            if (usableOfTask > 0) {
                servable++;
            }
            tasks.addObject().put("name", t.name())
                    .put("status", usableOfTask == t.providers().size() ? "UP" : usableOfTask > 0 ? "DEGRADED" : "DOWN")
                    .put("usable_providers", usableOfTask);
        }
        String status = servable == 0 ? "DOWN" : usable == cfg.providers().size() ? "UP" : "DEGRADED";
        body.put("status", status);
        body.set("providers", list);
        body.set("tasks", tasks);
        HttpReply.set(exchange, "DOWN".equals(status) ? 503 : 200, "application/json", mapper.writeValueAsString(body),
                java.util.Map.of());
    }

    /** Usable: a request would call it (its check has not failed and its breaker is not open). */
    private boolean isUsable(String provider) {
        return registry.downReason(provider) == null;
    }

    /** The failed check's reason; else, while its breaker is not closed, the last failed call's; else none. */
    private String lastError(String provider, ProviderHealth h, String circuit) {
        if (h.status() == ProviderHealth.Status.DOWN || HealthRegistry.CLOSED.equals(circuit)) {
            return h.lastError();
        }
        return registry.lastCallError(provider);
    }
}
