package dev.llmpool.tracing;

import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

/**
 * Tracing (docs/operations.md): off unless {@code pool.tracing.otlp-endpoint} is set; then each request is a SERVER
 * span (metrics/RequestMetrics) and each guarded provider call a CLIENT span (resilience/ResilienceBeans).
 */
public class TracingBeans {

    /** Closed with the context (PoolBeans), so the spans not exported yet go out. */
    @BindToRegistry
    public Tracing tracing(CamelContext camel,
                           @PropertyInject(value = "pool.tracing.service-name", defaultValue = "llm-pool") String serviceName,
                           @PropertyInject(value = "pool.tracing.export-delay-ms", defaultValue = "5000") long exportDelayMs) {
        // optional, empty by default (a @PropertyInject default cannot be empty: Camel reads "" as none)
        String otlpEndpoint = camel.getPropertiesComponent().resolveProperty("pool.tracing.otlp-endpoint").orElse("");
        return otlpEndpoint.isBlank() ? Tracing.off() : Tracing.otlp(otlpEndpoint, serviceName, exportDelayMs);
    }
}
