package dev.llmpool.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.PropertyInject;

import dev.llmpool.config.ConfigStore;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.resilience.ProviderGuards;
import dev.llmpool.tracing.Tracing;

/**
 * Observability (issue 18, docs/operations.md): each request's meters, access-log line and SERVER span, /metrics,
 * tokens per provider/task/tenant, per-provider gauges and the JVM's own meters, all in the pool's meter registry
 * (PoolBeans).
 */
public class ObservabilityBeans {

    @BindToRegistry
    public RequestMetrics requestMetrics(@BeanInject("metricsRegistry") PrometheusMeterRegistry metrics,
                                         @BeanInject("tracing") Tracing tracing,
                                         // the access log's format: kv, json or off (issue 18)
                                         @PropertyInject(value = "pool.log.format", defaultValue = "kv") String logFormat) {
        RequestMetrics requestMetrics = new RequestMetrics(metrics, tracing);  // also each request's SERVER span
        var accessLogFormat = AccessLog.format(logFormat);
        if (accessLogFormat != AccessLog.Format.OFF) {
            requestMetrics.addListener(new AccessLog(accessLogFormat, new ObjectMapper()));
        }
        return requestMetrics;
    }

    @BindToRegistry
    public MetricsScrape metricsScrape(@BeanInject("metricsRegistry") PrometheusMeterRegistry metrics) {
        return new MetricsScrape(metrics);
    }

    /** Tokens per provider/task/tenant: the provider routes' last step and the streaming race. */
    @BindToRegistry
    public TokenMeter tokenMeter(@BeanInject("metricsRegistry") PrometheusMeterRegistry metrics) {
        return new TokenMeter(metrics);
    }

    /** Calls in flight, queue lengths and health per provider; follows the configuration's providers as it changes. */
    @BindToRegistry
    public ProviderGauges providerGauges(@BeanInject("metricsRegistry") PrometheusMeterRegistry metrics,
                                         ProviderGuards guards, @BeanInject("healthRegistry") HealthRegistry health,
                                         ConfigStore config) {
        ProviderGauges gauges = new ProviderGauges(metrics, guards, health);
        gauges.apply(config.current());
        config.onChange(gauges::apply);
        return gauges;
    }

    /**
     * The JVM's own meters (jvm_memory_used_bytes, jvm_threads_live_threads, jvm_gc_*, CPU, uptime). The GC meters
     * listen to the JVM's collections until closed with the context (PoolBeans).
     */
    @BindToRegistry
    public JvmGcMetrics jvmGcMetrics(@BeanInject("metricsRegistry") PrometheusMeterRegistry metrics) {
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmThreadMetrics().bindTo(metrics);
        JvmGcMetrics gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(metrics);
        new ProcessorMetrics().bindTo(metrics);
        new UptimeMetrics().bindTo(metrics);
        return gcMetrics;
    }
}
