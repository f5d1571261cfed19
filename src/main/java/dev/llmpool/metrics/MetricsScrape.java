package dev.llmpool.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.HttpReply;

/** {@code GET /metrics}: the Prometheus text exposition of every meter (Camel's and the pool's). */
public class MetricsScrape implements Processor {

    private final PrometheusMeterRegistry registry;

    public MetricsScrape(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void process(Exchange exchange) {
        HttpReply.set(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape(), java.util.Map.of());
    }
}
