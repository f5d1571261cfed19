package dev.llmpool.tracing;

import static dev.llmpool.tracing.TracingTest.only;
import static dev.llmpool.tracing.TracingTest.traceparent;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.opentelemetry.proto.trace.v1.Span;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.llmpool.queues.JmsTestSupport;
import dev.llmpool.tracing.OtlpReceiver.Received;

/**
 * Tracing on, a request through the JMS door: the message's {@code traceparent} property is continued as an HTTP
 * header is (TracingTest): the request's SERVER span is the child of the caller's span in the caller's trace, and
 * the backend call under it sends its own span onwards.
 */
class JmsTracingTest extends JmsTestSupport {

    private static final OtlpReceiver OTLP = OtlpReceiver.start();
    private static final String TRACE = "7c1ab3d5f1e2437a9b0c8d6e5f4a3b21";
    private static final String CALLER_SPAN = "b7ad6b7169203331";

    @AfterAll
    static void stopReceiver() {
        OTLP.close();
    }

    @Override
    protected Map<String, String> moreSettings() {
        return Map.of("pool.tracing.otlp-endpoint", OTLP.url(), "pool.tracing.export-delay-ms", "50");
    }

    @Test
    void aMessagesTraceparentIsContinued() throws Exception {
        TextMessage request = session.createTextMessage(body("traced"));
        request.setStringProperty("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01");
        session.createProducer(session.createQueue(requests)).send(request);
        List<Message> answers = receive(session.createQueue(replies), 1);
        assertEquals(1, answers.size(), "answered");
        assertEquals("200", answers.get(0).getStringProperty("llmpool_status"));

        List<Received> spans = OTLP.trace(TRACE, 2, Duration.ofSeconds(10));
        Received server = only(spans, Span.SpanKind.SPAN_KIND_SERVER);
        assertEquals(CALLER_SPAN, OtlpReceiver.hex(server.span().getParentSpanId().toByteArray()), "the caller's span");
        assertEquals("jms enrich_metadata", server.span().getName());
        assertEquals("jms", server.attribute("llmpool.api"));
        Received call = only(spans, Span.SpanKind.SPAN_KIND_CLIENT);
        assertEquals(OtlpReceiver.hex(server.span().getSpanId().toByteArray()),
                OtlpReceiver.hex(call.span().getParentSpanId().toByteArray()), "the call is the request's child");
        assertEquals(traceparent(call), A.lastHeaders("phi3:mini").get("traceparent"));
    }
}
