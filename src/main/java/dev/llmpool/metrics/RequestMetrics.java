package dev.llmpool.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.spi.Synchronization;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.InferRequest;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.TaskConfig;
import dev.llmpool.ensemble.EnsembleProcessor;
import dev.llmpool.ensemble.Outcome;
import dev.llmpool.tracing.RequestTrace;
import dev.llmpool.tracing.Tracing;

/**
 * The end of every inference request, whatever door it came in by. The route's first step: it counts the request in
 * flight ({@code llmpool_inflight_requests}) and hooks the exchange's completion, so errors count too. When the
 * request ends it times it by door, task, strategy and HTTP status ({@code llmpool_requests_seconds}), records the
 * time spent in the pool itself ({@code llmpool_overhead_seconds}: the duration minus the time the ensemble waited on backends,
 * {@link RequestState#backendWaitNanos()}),
 * ends its trace's span ({@link Tracing}), and hands a {@link FinishedRequest} to the listeners (the access log, the
 * operations page). (Camel's {@code onCompletion} would do the same but copies the whole exchange for every request.)
 */
public class RequestMetrics implements Processor {

    /** Doors known as label values; any other is counted as {@code other} (labels stay bounded). */
    private static final Set<String> APIS = Set.of("infer", "openai", "ollama", "grpc", "kafka", "jms");
    /** Request latency buckets, 5 ms to 30 s: a local model answers in tens of milliseconds to many seconds. */
    static final Duration[] LATENCY_BUCKETS = millis(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000);
    /** The pool's own time per request, from 50 µs (a cache hit) to 1 s. */
    static final Duration[] OVERHEAD_BUCKETS = {Duration.ofNanos(50_000), Duration.ofNanos(100_000),
            Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1)};

    private record Tags(String api, String task, String strategy, int status) {
    }

    private final MeterRegistry registry;
    private final Tracing tracing;
    /** The timers by their tags, so a request costs a map lookup, not a registration. The tag values are bounded. */
    private final Map<Tags, Timer> timers = new ConcurrentHashMap<>();
    private final Timer overhead;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final List<Consumer<FinishedRequest>> listeners = new CopyOnWriteArrayList<>();
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

    public RequestMetrics(MeterRegistry registry, Tracing tracing) {
        this.registry = registry;
        this.tracing = tracing;
        this.overhead = Timer.builder("llmpool.overhead")
                .description("Time each request spent in the pool itself: its duration minus the time it waited on backends")
                .serviceLevelObjectives(OVERHEAD_BUCKETS)
                .register(registry);
        Gauge.builder("llmpool.inflight.requests", inFlight, AtomicInteger::get)
                .description("Inference requests being served").register(registry);
    }

    /** Called with every finished request (on the thread that finished it: keep it short). */
    public void addListener(Consumer<FinishedRequest> listener) {
        listeners.add(listener);
    }

    @Override
    public void process(Exchange exchange) {
        inFlight.incrementAndGet();
        String traceId = tracing.begin(exchange);
        if (traceId != null) {
            RequestState.of(exchange).setTraceId(traceId);
        }
        exchange.getExchangeExtension().addOnCompletion(onDone);
    }

    private void record(Exchange exchange) {
        inFlight.decrementAndGet();
        RequestState state = RequestState.of(exchange);
        InferRequest req = state.request();
        Object code = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE);
        int status = code instanceof Integer i ? i : code == null ? 200 : Integer.parseInt(code.toString());
        long nanos = state.started() ? System.nanoTime() - state.startedNanos() : 0;
        long waited = state.backendWaitNanos();
        String api = apiOf(state);
        String task = req == null ? "invalid" : req.task(); // unknown tasks are not tags: bounded cardinality
        String strategy = strategy(req, state.config());
        timer(api, task, strategy, status).record(nanos, TimeUnit.NANOSECONDS);
        long own = Math.max(0, nanos - waited);
        overhead.record(own, TimeUnit.NANOSECONDS);
        RequestTrace trace = state.trace();
        if (trace != null) {
            trace.end(exchange, api, task, strategy, status);
        }
        if (listeners.isEmpty()) {
            return;
        }
        Outcome outcome = EnsembleProcessor.outcome(exchange);
        boolean fromCache = state.fromCache();
        boolean spent = outcome != null && !fromCache; // a cached answer spent no tokens this time
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        FinishedRequest done = new FinishedRequest(System.currentTimeMillis(),
                state.requestId(), api, state.tenantOrDefault(),
                task, strategy, outcome == null || status != 200 ? null : outcome.winner().provider(), status,
                error instanceof ApiException e ? e.code() : error != null ? "internal_error" : null, nanos, own,
                spent ? outcome.promptTokens() : 0, spent ? outcome.completionTokens() : 0, fromCache,
                state.traceId(), req == null ? null : req.prompt());
        listeners.forEach(l -> l.accept(done));
    }

    /** A request the HTTP consumer answered from the cache before any route (ExactRepeats). */
    public void repeatServed(String task, String strategy, Timer timer, String requestId, long nanos) {
        timer.record(nanos, TimeUnit.NANOSECONDS);
        overhead.record(nanos, TimeUnit.NANOSECONDS);
        if (!listeners.isEmpty()) {
            FinishedRequest done = new FinishedRequest(System.currentTimeMillis(), requestId, "infer",
                    TokenMeter.DEFAULT_TENANT, task, strategy, null, 200, null, nanos, nanos, 0, 0, true, null, null);
            listeners.forEach(l -> l.accept(done));
        }
    }

    /** The timer of requests with these tags (also for those answered before the route: ExactRepeats). */
    public Timer timer(String api, String task, String strategy, int status) {
        Tags tags = new Tags(api, task, strategy, status);
        Timer timer = timers.get(tags);
        if (timer == null) {
            timer = timers.computeIfAbsent(tags, t -> Timer.builder("llmpool.requests")
                    .description("Inference requests by door, task, strategy and HTTP status")
                    .tag("api", t.api())
                    .tag("task", t.task())
                    .tag("strategy", t.strategy())
                    .tag("status", String.valueOf(t.status()))
                    .serviceLevelObjectives(LATENCY_BUCKETS)
                    .register(registry));
        }
        return timer;
    }

    private static String apiOf(RequestState state) {
        String api = state.api();
        return api == null ? "infer" : APIS.contains(api) ? api : "other";
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

    private static Duration[] millis(long... ms) {
        Duration[] d = new Duration[ms.length];
        for (int i = 0; i < ms.length; i++) {
            d[i] = Duration.ofMillis(ms[i]);
        }
        return d;
    }
}
