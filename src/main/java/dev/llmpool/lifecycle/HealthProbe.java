package dev.llmpool.lifecycle;

import java.util.Collection;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;

import dev.llmpool.api.HttpReply;

/**
 * {@code GET /health/live} and {@code GET /health/ready}: Camel's health checks of that kind (its context and route
 * checks, and {@link PoolReadiness}), called through Camel's health-check API. 200 when every check is UP, else
 * 503; the body names each check and says why one is DOWN. The probes a load balancer or Kubernetes polls; the
 * detailed report on the backends is {@code GET /health}.
 */
public class HealthProbe implements Processor {

    private final boolean readiness;
    private final ObjectMapper mapper;

    private HealthProbe(boolean readiness, ObjectMapper mapper) {
        this.readiness = readiness;
        this.mapper = mapper;
    }

    public static HealthProbe liveness(ObjectMapper mapper) {
        return new HealthProbe(false, mapper);
    }

    public static HealthProbe readiness(ObjectMapper mapper) {
        return new HealthProbe(true, mapper);
    }

    @Override
    public void process(Exchange exchange) throws JsonProcessingException {
        // "full": every check's result (Camel's default level leaves out the checks that are UP)
        Collection<HealthCheck.Result> results = readiness
                ? HealthCheckHelper.invokeReadiness(exchange.getContext(), "full")
                : HealthCheckHelper.invokeLiveness(exchange.getContext(), "full");
        boolean up = true;
        ObjectNode body = mapper.createObjectNode();
        ArrayNode checks = mapper.createArrayNode();
        for (HealthCheck.Result r : results) {
            up &= r.getState() == HealthCheck.State.UP;
            ObjectNode c = checks.addObject().put("name", r.getCheck().getId()).put("status", r.getState().name());
            r.getMessage().ifPresent(m -> c.put("message", m));
        }
        body.put("status", up ? "UP" : "DOWN");
        body.set("checks", checks);
        HttpReply.set(exchange, up ? 200 : 503, "application/json", mapper.writeValueAsString(body), Map.of());
    }
}
