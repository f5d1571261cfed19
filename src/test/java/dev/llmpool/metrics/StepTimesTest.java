package dev.llmpool.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import dev.llmpool.api.RequestState;

/** The step-time diagnostic: when each step starts, after the request's first step, provider calls included. */
class StepTimesTest {

    @Test
    void eachStepIsTimedFromTheRequestsFirstStepAndTimerRoutesAreLeftOut() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        StepTimes steps = new StepTimes(lines::add, TimeUnit.HOURS.toNanos(1)); // reported below, not on time
        String line;
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.getCamelContextExtension().addInterceptStrategy(steps);
            // a lambda, not a RouteBuilder subclass: the other tests' Camel main would discover a class by scanning
            RouteBuilder.addRoutes(camel, routes -> {
                routes.from("direct:door").routeId("door")
                        .process(e -> RequestState.of(e)).id("door-step")
                        .to("direct:core").id("to-core");
                routes.from("direct:core").routeId("core")
                        .process(e -> sleepMillis(20)).id("slow-step")
                        .process(e -> {
                            // a provider call: another exchange sharing the request's state, as the race makes
                            Exchange call = new DefaultExchange(e.getContext());
                            RequestState.of(e).shareWith(call);
                            e.getContext().createProducerTemplate().send("direct:call", call);
                        }).id("run-call");
                routes.from("direct:call").routeId("call")
                        .process(e -> { }).id("call-step");
                routes.from("timer:maintenance?period=5").routeId("maintenance")
                        .process(e -> { }).id("timer-step");
            });
            camel.start();
            ProducerTemplate producer = camel.createProducerTemplate();
            for (int i = 0; i < 5; i++) {
                producer.sendBody("direct:door", "request " + i);
            }
            sleepMillis(50); // the timer route runs meanwhile
            line = steps.report();
        }
        assertTrue(lines.isEmpty(), "nothing logged before its period: " + lines);
        assertTrue(line.startsWith("event=step_times requests=5 "), "each request once, its call included: " + line);
        Map<String, Long> micros = medians(line);
        assertEquals(List.of("door-step", "to-core", "slow-step", "run-call", "call-step"),
                List.copyOf(micros.keySet()), "in the order they are reached: " + line);
        assertTrue(micros.get("door-step") < 5_000, line);
        assertTrue(micros.get("run-call") >= 20_000, "after the 20 ms step: " + line);
        assertTrue(micros.get("call-step") >= micros.get("run-call"), "the call counts from its request's start: " + line);
        assertFalse(line.contains("timer-step"), "maintenance routes are not requests: " + line);
    }

    private static Map<String, Long> medians(String line) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String part : line.split(" ")) {
            String[] kv = part.split("=");
            if (kv.length == 2 && !kv[0].equals("event") && !kv[0].equals("requests")) {
                m.put(kv[0], Long.parseLong(kv[1]));
            }
        }
        return m;
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
