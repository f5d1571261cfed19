package dev.llmpool.lifecycle;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Camel readiness check {@code pool}: DOWN while the pool is starting (its configuration is loaded and its provider
 * routes are made only once the context has started) and from the moment a shutdown begins. Camel's own checks
 * (the context, each route) make up the rest of {@code GET /health/ready}. Provider health is deliberately not part
 * of it: every instance shares the same backends, so taking instances out of service for a dead backend would
 * only turn a partial outage into a total one.
 */
public class PoolReadiness extends AbstractHealthCheck {

    private volatile String notReady = "starting";

    public PoolReadiness() {
        super("llmpool", "pool");
    }

    /** The configuration is loaded and the HTTP port is served: the pool can take traffic. */
    public void started() {
        notReady = null;
    }

    /** A shutdown began: load balancers must stop sending new requests here. Never undone. */
    public void shuttingDown() {
        notReady = "shutting down";
    }

    public boolean isShuttingDown() {
        return "shutting down".equals(notReady);
    }

    @Override
    public boolean isLiveness() {
        return false; // a pool that is starting or draining is alive: restarting it would only lose work
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        String reason = notReady;
        if (reason == null) {
            builder.up();
        } else {
            builder.down().message(reason);
        }
    }
}
