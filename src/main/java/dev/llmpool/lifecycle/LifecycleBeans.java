package dev.llmpool.lifecycle;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import dev.llmpool.config.ConfigStore;

/**
 * Running as a fleet (issue 21, docs/deploy.md): readiness and liveness probes through Camel's health-check API, and
 * the graceful shutdown a SIGTERM starts (Application), which drains the HTTP servers' connections.
 */
public class LifecycleBeans {

    private final ObjectMapper mapper = new ObjectMapper();

    /** Also in Camel's health-check registry once that exists (PoolBeans' start-up): /health/ready. */
    @BindToRegistry
    public PoolReadiness poolReadiness() {
        return new PoolReadiness();
    }

    @BindToRegistry
    public HealthProbe livenessProbe() {
        return HealthProbe.liveness(mapper);
    }

    @BindToRegistry
    public HealthProbe readinessProbe() {
        return HealthProbe.readiness(mapper);
    }

    /** The HTTP front puts it in front of its servers. */
    @BindToRegistry
    public ConnectionDrain connectionDrain() {
        return new ConnectionDrain();
    }

    @BindToRegistry
    public GracefulShutdown gracefulShutdown(CamelContext camel, @BeanInject("vertx") Vertx vertx,
                                             PoolReadiness readiness, ConnectionDrain drain, ConfigStore config,
                                             @PropertyInject(value = "pool.shutdown.grace-ms", defaultValue = "2000")
                                             long shutdownGraceMs) {
        return new GracefulShutdown(camel, vertx, readiness, drain, shutdownGraceMs,
                () -> config.current().limits().maxDeadlineMs());
    }
}
