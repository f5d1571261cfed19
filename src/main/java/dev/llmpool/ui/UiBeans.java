package dev.llmpool.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.PropertyInject;

import dev.llmpool.config.ConfigStore;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.metrics.ProviderGauges;
import dev.llmpool.metrics.RequestMetrics;
import dev.llmpool.queues.QueueTraffic;

/** The operations page (routes/ops.camel.yaml): its files and the status JSON it polls. */
public class UiBeans {

    @BindToRegistry
    public UiAssets uiAssets() {
        return new UiAssets();
    }

    /** The recent requests the page lists, told of each by the request meters. */
    @BindToRegistry
    public RecentRequests recentRequests(RequestMetrics requestMetrics,
                                         // whether the operations page shows the recent requests' prompts (issue 18)
                                         @PropertyInject(value = "pool.ui.show-prompts", defaultValue = "false")
                                         boolean uiShowPrompts) {
        RecentRequests recentRequests = new RecentRequests(uiShowPrompts);
        requestMetrics.addListener(recentRequests);
        return recentRequests;
    }

    /** What the queue doors answered and sent to their dead-letter destinations, for the page. */
    @BindToRegistry
    public QueueTraffic queueTraffic(CamelContext camel, @BeanInject("metricsRegistry") MeterRegistry metrics) {
        return new QueueTraffic(camel, metrics);
    }

    /** The queue routes' step counting their dead-letter copies. */
    @BindToRegistry
    public Processor deadLetterCount(QueueTraffic queueTraffic) {
        return queueTraffic.countStep();
    }

    @BindToRegistry
    public OpsStatus opsStatus(ConfigStore config, @BeanInject("healthRegistry") HealthRegistry health,
                               ProviderGauges providerGauges, RecentRequests recentRequests,
                               @BeanInject("metricsRegistry") MeterRegistry metrics, QueueTraffic queueTraffic) {
        return new OpsStatus(config, health, providerGauges, recentRequests, metrics, queueTraffic, new ObjectMapper());
    }
}
