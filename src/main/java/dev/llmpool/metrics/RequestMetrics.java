package dev.llmpool.metrics;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.Headers;
import dev.llmpool.api.InferRequest;
import dev.llmpool.routing.TaskResolver;

/**
 * Counts every finished inference request by task, strategy and HTTP status, with its duration
 * ({@code llmpool_requests_seconds}). Runs from the infer route's onCompletion, so errors count too.
 */
public class RequestMetrics implements Processor {

    private final MeterRegistry registry;

    public RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void process(Exchange exchange) {
        InferRequest req = exchange.getProperty(Headers.REQUEST, InferRequest.class);
        String strategy = exchange.getProperty(TaskResolver.STRATEGY_NAME, "none", String.class);
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class);
        Long started = exchange.getProperty(Headers.STARTED_NANOS, Long.class);
        Timer.builder("llmpool.requests")
                .description("Inference requests by task, strategy and HTTP status")
                .tag("task", req == null ? "invalid" : req.task()) // unknown tasks are not tags: bounded cardinality
                .tag("strategy", strategy)
                .tag("status", String.valueOf(status))
                .register(registry)
                .record(started == null ? 0 : System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }
}
