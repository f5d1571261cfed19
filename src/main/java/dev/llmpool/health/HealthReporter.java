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
import dev.llmpool.config.TaskConfig;

/**
 * {@code GET /health}: each provider's last check, circuit state and last error. UP when every provider is
 * usable, DOWN when some task has no usable provider left (503), DEGRADED in between. A provider is usable when
 * its last check did not fail and its circuit breaker is not open (the same rule that selects providers).
 */
public class HealthReporter implements Processor {

    private final ConfigStore config;
    private final HealthRegistry registry;
    private final ObjectMapper mapper;

    public HealthReporter(ConfigStore config, HealthRegistry registry, ObjectMapper mapper) {
        this.config = config;
        this.registry = registry;
        this.mapper = mapper;
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
            n.put("name", p.name()).put("model", p.model()).put("url", dev.llmpool.auth.UrlMask.mask(p.url())).put("status", h.status().name())
                    .put("circuit", circuit);
            if (h.latencyMs() >= 0) {
                n.put("latency_ms", h.latencyMs());
            } else {
                n.putNull("latency_ms");
            }
            n.put("last_error", lastError(p.name(), h, circuit));
        }
        String status = usable == cfg.providers().size() ? "UP" : "DEGRADED";
        for (TaskConfig t : cfg.tasks().values()) {
            if (t.providers().stream().noneMatch(this::isUsable)) {
                status = "DOWN";
            }
        }
        body.put("status", status);
        body.set("providers", list);
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
