package dev.llmpool.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;

import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.Policy;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/**
 * Tracing off (no {@code pool.tracing.otlp-endpoint}): no span and no trace on the exchange, the provider routes'
 * guard unwrapped; the access log still gets the caller's trace id, from an HTTP header or a Kafka header's bytes.
 */
class TracingOffTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    @Test
    void offMakesNoSpanAndLeavesTheGuardAsItIs() {
        Tracing off = Tracing.off();
        Policy guard = new Policy() {
            @Override
            public void beforeWrap(Route route, NamedNode definition) {
            }

            @Override
            public Processor wrap(Route route, Processor processor) {
                return processor;
            }
        };
        assertSame(guard, off.callSpansAround(guard));

        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        assertNull(off.begin(exchange));
        exchange.getIn().setHeader("traceparent", "00-" + TRACE + "-00f067aa0ba902b7-01");
        assertEquals(TRACE, off.begin(exchange));
        assertNull(dev.llmpool.api.RequestState.of(exchange).trace());
        exchange.getIn().setHeader("traceparent", ("00-" + TRACE + "-00f067aa0ba902b7-01").getBytes(StandardCharsets.UTF_8));
        assertEquals(TRACE, off.begin(exchange), "a Kafka header");
        exchange.getIn().setHeader("traceparent", "00-not-a-trace");
        assertNull(off.begin(exchange));
    }
}
