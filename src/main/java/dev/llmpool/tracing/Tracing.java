package dev.llmpool.tracing;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.spi.Policy;

import dev.llmpool.api.RequestState;
import dev.llmpool.metrics.TraceParent;

/**
 * The pool's OpenTelemetry tracing (docs/operations.md, "Tracing"), off unless {@code pool.tracing.otlp-endpoint}
 * is set: the OpenTelemetry SDK exporting over OTLP/HTTP (protobuf) with the JDK's own HTTP client, in batches.
 * Each request is a SERVER span ({@link RequestTrace}) continuing the caller's W3C {@code traceparent} (an HTTP
 * header, gRPC metadata, a Kafka or JMS message header); each backend call a CLIENT span with the GenAI attributes
 * ({@link CallSpans}), whose {@code traceparent} the backend is sent.
 * <p>
 * Not camel-opentelemetry2: it traces Camel exchanges and endpoints, and the pool's backend calls fit neither. A race
 * sends each call as a new exchange of its own (not a copy of the request's, so Camel sees no parent), a streamed
 * call is read by the pool's own Vert.x client with no Camel endpoint, and a call's outcome (won, lost, cut) is known
 * only to the pool; it would also trace every internal step (direct:, processors) of every request, a cost the
 * pool's per-request overhead budget cannot carry. The SDK used directly gives the spans the pool needs and no others.
 * <p>
 * Off, nothing here makes a span or a context: {@link #begin} only reads the caller's trace id for the access log,
 * and the provider routes' guard is not wrapped ({@link #callSpansAround}).
 */
public final class Tracing implements AutoCloseable {

    /** Exchange header names are Camel's; a Kafka header's value is bytes. */
    private static final TextMapGetter<Message> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Message message) {
            return message.getHeaders().keySet();
        }

        @Override
        public String get(Message message, String key) {
            return text(message == null ? null : message.getHeader(key));
        }
    };

    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private Tracing(SdkTracerProvider provider) {
        this.provider = provider;
        this.tracer = provider == null ? null : provider.get("dev.llmpool");
    }

    /** No spans at all. */
    public static Tracing off() {
        return new Tracing(null);
    }

    /**
     * Spans exported to an OTLP/HTTP receiver.
     *
     * @param endpoint      the receiver's base URL ({@code http://localhost:4318}); {@code /v1/traces} is added
     *                      unless it is there
     * @param serviceName   the resource's {@code service.name}
     * @param exportDelayMs how long finished spans wait to go out in one batch
     */
    public static Tracing otlp(String endpoint, String serviceName, long exportDelayMs) {
        String base = endpoint.trim();
        String url = base.endsWith("/v1/traces") ? base : base.replaceAll("/+$", "") + "/v1/traces";
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(url).build();
        Resource resource = Resource.getDefault()
                .merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), serviceName)));
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(resource)
                .addSpanProcessor(BatchSpanProcessor.builder(exporter)
                        .setScheduleDelay(exportDelayMs, TimeUnit.MILLISECONDS).build())
                .build();
        return new Tracing(provider);
    }

    public boolean on() {
        return tracer != null;
    }

    /**
     * A request begins (the core route's first step): with tracing on, its SERVER span starts as the child of the
     * caller's {@code traceparent} (a new trace without one) and is kept on the exchange ({@link RequestTrace}).
     *
     * @return the request's trace id, for the access log: the span's; with tracing off, the caller's, or null
     */
    public String begin(Exchange exchange) {
        Message in = exchange.getIn();
        if (tracer == null) {
            String header = text(in.getHeader("traceparent"));
            return header == null ? null : TraceParent.traceId(header);
        }
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), in, HEADERS);
        Span span = tracer.spanBuilder("llmpool.request").setParent(parent).setSpanKind(SpanKind.SERVER).startSpan();
        RequestState.of(exchange).setTrace(new RequestTrace(span));
        return span.getSpanContext().getTraceId();
    }

    /** The provider routes' guard, with a CLIENT span around each call when tracing is on; else the guard itself. */
    public Policy callSpansAround(Policy guard) {
        return tracer == null ? guard : new CallSpans(tracer, guard);
    }

    /** Sends the spans not exported yet and stops (the service is stopping). */
    @Override
    public void close() {
        if (provider != null) {
            provider.shutdown().join(5, TimeUnit.SECONDS);
        }
    }

    private static String text(Object value) {
        if (value instanceof String s) {
            return s;
        }
        return value instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : null;
    }
}
