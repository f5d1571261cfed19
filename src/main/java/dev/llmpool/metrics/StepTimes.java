package dev.llmpool.metrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.InterceptStrategy;
import org.apache.camel.support.processor.DelegateAsyncProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.api.RequestState;

/**
 * A diagnostic, off unless {@code pool.diagnostics.step-times=true} (docs/performance.md "Where the time goes"):
 * when each route step starts, in microseconds after the exchange's first step (the door's), so that the cost of
 * the path to the backend call can be read step by step on a running service, at any concurrency, without a
 * profiler. A provider call's steps count from its request's first step (they share the {@link RequestState}).
 * Every ten seconds one line {@code event=step_times requests=N <step>=<median µs> ...}, steps in the order of
 * their medians, then the samples start again. Installed as an {@link InterceptStrategy}, so with the key off nothing of
 * it is on the request path.
 */
public final class StepTimes implements InterceptStrategy {

    private static final Logger LOG = LoggerFactory.getLogger("dev.llmpool.steps");
    private static final String CLOCK = "llmpoolStepClock";
    /** Per step at most this many samples a period: enough for a median, bounded memory. */
    private static final int MAX_SAMPLES = 10_000;

    /** The key that turns it on (restart to change). */
    public static final String KEY = "pool.diagnostics.step-times";

    private final Map<String, List<Long>> samples = new LinkedHashMap<>(); // in the order first reached
    /** Each request's first step, by its state: its provider calls run on other exchanges that share the state. */
    private final Map<RequestState, Long> clocks = new WeakHashMap<>();
    private final Consumer<String> out;
    private final long periodNanos;
    private long requests;
    private long periodStart = System.nanoTime();

    /** Logs a line every ten seconds. */
    public StepTimes() {
        this(LOG::info, TimeUnit.SECONDS.toNanos(10));
    }

    /** Hands {@code out} a line at the first step reached after each {@code periodNanos}. */
    StepTimes(Consumer<String> out, long periodNanos) {
        this.out = out;
        this.periodNanos = periodNanos;
    }

    /** Adds the step clock to every route created from now on, when {@link #KEY} is true. */
    public static void installIfOn(CamelContext camel) {
        if (camel.getPropertiesComponent().resolveProperty(KEY).map(Boolean::parseBoolean).orElse(false)) {
            camel.getCamelContextExtension().addInterceptStrategy(new StepTimes());
        }
    }

    @Override
    public Processor wrapProcessorInInterceptors(CamelContext context, NamedNode definition, Processor target,
                                                 Processor nextTarget) {
        if (startsOnATimer(definition)) {
            return target; // maintenance (configuration and health checks), not requests
        }
        String step = definition.getId();
        return new DelegateAsyncProcessor(target) {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                reached(exchange, step);
                return super.process(exchange, callback);
            }
        };
    }

    private static boolean startsOnATimer(NamedNode node) {
        NamedNode n = node;
        while (n != null && !(n instanceof RouteDefinition)) {
            n = n.getParent();
        }
        return n instanceof RouteDefinition route && route.getInput() != null
                && route.getInput().getEndpointUri().startsWith("timer:");
    }

    private void reached(Exchange exchange, String step) {
        long now = System.nanoTime();
        RequestState state = RequestState.find(exchange);
        String line = null;
        synchronized (this) {
            Long clock = state != null ? clocks.get(state) : null;
            if (clock == null) {
                clock = exchange.getProperty(CLOCK, Long.class); // a door's steps before the state was made
            }
            if (clock == null) {
                clock = now;
                requests++;
                exchange.setProperty(CLOCK, clock);
            }
            if (state != null) {
                clocks.putIfAbsent(state, clock);
            }
            List<Long> times = samples.computeIfAbsent(step, s -> new ArrayList<>());
            if (times.size() < MAX_SAMPLES) {
                times.add((now - clock) / 1_000);
            }
            if (now - periodStart >= periodNanos) {
                line = report();
            }
        }
        if (line != null) {
            out.accept(line);
        }
    }

    /**
     * The median of each step's samples, steps in the order of their medians (ties: the order first reached); then
     * the samples start again.
     */
    synchronized String report() {
        record Median(String step, long micros) {
        }
        List<Median> medians = new ArrayList<>();
        samples.forEach((step, times) -> {
            times.sort(null);
            medians.add(new Median(step, times.get(times.size() / 2)));
        });
        medians.sort(Comparator.comparingLong(Median::micros));
        StringBuilder line = new StringBuilder("event=step_times requests=").append(requests);
        medians.forEach(m -> line.append(' ').append(m.step()).append('=').append(m.micros()));
        samples.clear();
        requests = 0;
        periodStart = System.nanoTime();
        return line.toString();
    }
}
