package dev.llmpool.health;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.resilience4j.ResilienceProcessor;

import dev.llmpool.api.HttpReply;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.TaskConfig;

/**
 * {@code GET /health}: each provider's last check and circuit state. UP when every provider is usable,
 * DOWN when some task has no usable provider left (503), DEGRADED in between.
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
            String circuit = circuitState(exchange.getContext(), p.name());
            if (isUsable(h, circuit)) {
                usable++;
            }
            ObjectNode n = list.addObject();
            n.put("name", p.name()).put("model", p.model()).put("url", p.url()).put("status", h.status().name())
                    .put("circuit", circuit);
            if (h.latencyMs() >= 0) {
                n.put("latency_ms", h.latencyMs());
            } else {
                n.putNull("latency_ms");
            }
            n.put("last_error", h.lastError());
        }
        String status = usable == cfg.providers().size() ? "UP" : "DEGRADED";
        for (TaskConfig t : cfg.tasks().values()) {
            boolean any = t.providers().stream()
                    .anyMatch(name -> isUsable(registry.get(name), circuitState(exchange.getContext(), name)));
            if (!any) {
                status = "DOWN";
            }
        }
        body.put("status", status);
        body.set("providers", list);
        HttpReply.set(exchange, "DOWN".equals(status) ? 503 : 200, "application/json", mapper.writeValueAsString(body),
                java.util.Map.of());
    }

    private static boolean isUsable(ProviderHealth h, String circuit) {
        return h.status() != ProviderHealth.Status.DOWN && !"OPEN".equals(circuit);
    }

    /** The breaker is the provider route's circuitBreaker node, whose id is {@code breaker-<name>}. */
    static String circuitState(CamelContext camel, String provider) {
        ResilienceProcessor p = camel.getProcessor("breaker-" + provider, ResilienceProcessor.class);
        return p == null ? "CLOSED" : p.getCircuitBreakerState();
    }
}
