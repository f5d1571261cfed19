package dev.llmpool.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/** {@code GET /metrics}: the Prometheus text exposition of every meter (Camel's and the pool's). */
public class MetricsScrape implements Processor {

    private final PrometheusMeterRegistry registry;

    public MetricsScrape(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void process(Exchange exchange) {
        var msg = exchange.getMessage();
        msg.removeHeaders("*");
        msg.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        msg.setHeader(Exchange.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        msg.setBody(registry.scrape());
    }
}
