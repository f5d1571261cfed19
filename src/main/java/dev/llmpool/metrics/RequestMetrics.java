package dev.llmpool.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.spi.Synchronization;

import dev.llmpool.api.Headers;
import dev.llmpool.api.InferRequest;
import dev.llmpool.api.RequestContextProcessor;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.TaskConfig;

/**
 * Counts every finished inference request by task, strategy and HTTP status, with its duration
 * ({@code llmpool_requests_seconds}). The route's first step: it hooks the exchange's completion, so errors count
 * too. (Camel's {@code onCompletion} would do the same but copies the whole exchange for every request.)
 */
public class RequestMetrics implements Processor {

    private record Tags(String task, String strategy, int status) {
    }

    private final MeterRegistry registry;
    /** The timers by their tags, so a request costs a map lookup, not a registration. The tag values are bounded. */
    private final Map<Tags, Timer> timers = new ConcurrentHashMap<>();
    private final Synchronization onDone = new Synchronization() {
        @Override
        public void onComplete(Exchange exchange) {
            record(exchange);
        }

        @Override
        public void onFailure(Exchange exchange) {
            record(exchange);
        }
    };

    public RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void process(Exchange exchange) {
        exchange.getExchangeExtension().addOnCompletion(onDone);
    }

    private void record(Exchange exchange) {
        InferRequest req = exchange.getProperty(Headers.REQUEST, InferRequest.class);
        Object code = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE);
        int status = code instanceof Integer i ? i : code == null ? 200 : Integer.parseInt(code.toString());
        Long started = exchange.getProperty(Headers.STARTED_NANOS, Long.class);
        record(req == null ? "invalid" : req.task(), // unknown tasks are not tags: bounded cardinality
                strategy(req, exchange.getProperty(RequestContextProcessor.CONFIG, PoolConfig.class)), status,
                started == null ? 0 : System.nanoTime() - started);
    }

    private void record(String task, String strategy, int status, long nanos) {
        timer(task, strategy, status).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The timer of requests with these tags (also for those answered before the route: cache/ExactRepeats). */
    public Timer timer(String task, String strategy, int status) {
        Tags tags = new Tags(task, strategy, status);
        Timer timer = timers.get(tags);
        if (timer == null) {
            timer = timers.computeIfAbsent(tags, t -> Timer.builder("llmpool.requests")
                    .description("Inference requests by task, strategy and HTTP status")
                    .tag("task", t.task())
                    .tag("strategy", t.strategy())
                    .tag("status", String.valueOf(t.status()))
                    .register(registry));
        }
        return timer;
    }

    /** The strategy the request was (or would have been) served with; "none" when it never got that far. */
    private static String strategy(InferRequest req, PoolConfig config) {
        if (req == null) {
            return "none";
        }
        if (req.strategy() != null) {
            return req.strategy().name();
        }
        TaskConfig task = config == null ? null : config.task(req.task());
        return task == null ? "none" : task.strategy().name();
    }
}
