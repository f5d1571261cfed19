package dev.llmpool.queues;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.kafka.clients.consumer.Consumer;

/**
 * camel-kafka's client factory, with each consumer's own metrics on {@code GET /metrics} (Micrometer's
 * {@link KafkaClientMetrics}): among them {@code kafka_consumer_fetch_manager_records_lag} per partition and
 * {@code kafka_consumer_fetch_manager_records_lag_max}, the consumer lag. The meters go when the context stops.
 */
public class MeteredKafkaClients extends DefaultKafkaClientFactory {

    private final CamelContext camel;
    private final List<KafkaClientMetrics> bound = new CopyOnWriteArrayList<>();

    public MeteredKafkaClients(CamelContext camel) {
        this.camel = camel;
    }

    @Override
    public Consumer getConsumer(Properties kafkaProps) {
        Consumer consumer = super.getConsumer(kafkaProps);
        MeterRegistry registry = camel.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        if (registry != null) {
            KafkaClientMetrics metrics = new KafkaClientMetrics(consumer);
            metrics.bindTo(registry);
            bound.add(metrics);
        }
        return consumer;
    }

    /** Removes the meters (with the context). */
    public void close() {
        bound.forEach(KafkaClientMetrics::close);
        bound.clear();
    }
}
