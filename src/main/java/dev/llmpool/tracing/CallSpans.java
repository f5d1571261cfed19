package dev.llmpool.tracing;

import dev.llmpool.providers.CallProperties;
import java.util.Locale;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.spi.Policy;
import org.apache.camel.support.processor.DelegateAsyncProcessor;

import dev.llmpool.api.RequestState;
import dev.llmpool.ensemble.JudgeCall;
import dev.llmpool.providers.CallHandle;
import dev.llmpool.providers.ProviderCall;
import dev.llmpool.providers.ProviderReply;

/**
 * A CLIENT span per backend call, with the OpenTelemetry GenAI attributes: wrapped around the provider routes' guard
 * ({@code breakerPolicy}), so every call of every strategy has one, from the wait for its permit (a refused call is
 * a failed span) to its last byte, whole answer or stream. Its {@code traceparent} is left on the exchange
 * ({@link CallProperties#TRACEPARENT}) for the backend request. A call that answered learns its outcome (won or lost) when its
 * request's is decided ({@link RequestTrace}); a call its sender ended is {@code cut}; any other failure
 * {@code failed}; the judge's own call {@code judge}.
 */
public final class CallSpans implements Policy {


    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("llmpool.outcome");
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    private static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("gen_ai.system");
    private static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    private static final AttributeKey<Long> MAX_TOKENS = AttributeKey.longKey("gen_ai.request.max_tokens");
    private static final AttributeKey<Double> TEMPERATURE = AttributeKey.doubleKey("gen_ai.request.temperature");
    private static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    private static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("llmpool.provider");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    private final Tracer tracer;
    private final Policy guard;

    CallSpans(Tracer tracer, Policy guard) {
        this.tracer = tracer;
        this.guard = guard;
    }

    @Override
    public void beforeWrap(Route route, NamedNode definition) {
        guard.beforeWrap(route, definition);
    }

    @Override
    public Processor wrap(Route route, Processor steps) {
        return new DelegateAsyncProcessor(guard.wrap(route, steps)) {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                RequestTrace trace = RequestState.of(exchange).trace();
                ProviderCall call = exchange.getProperty(CallProperties.CALL, ProviderCall.class);
                if (trace == null || call == null) {
                    return processor.process(exchange, callback); // not a request's call
                }
                Span span = startSpan(trace, call);
                boolean judge = call.provider().name().equals(exchange.getProperty(JudgeCall.JUDGE_PROVIDER));
                exchange.setProperty(CallProperties.TRACEPARENT, traceparent(span.getSpanContext()));
                return processor.process(exchange, doneSync -> {
                    exchange.removeProperty(CallProperties.TRACEPARENT); // the judge's call runs on the request's own exchange
                    ended(trace, span, exchange, judge);
                    callback.done(doneSync);
                });
            }
        };
    }

    private Span startSpan(RequestTrace trace, ProviderCall call) {
        String model = call.provider().model();
        SpanBuilder b = tracer.spanBuilder("chat " + model).setParent(trace.context()).setSpanKind(SpanKind.CLIENT)
                .setAttribute(OPERATION, "chat")
                .setAttribute(SYSTEM, call.provider().kind().name().toLowerCase(Locale.ROOT))
                .setAttribute(REQUEST_MODEL, model)
                .setAttribute(PROVIDER, call.provider().name())
                .setAttribute(MAX_TOKENS, (long) call.maxTokens());
        if (call.temperature() != null) {
            b.setAttribute(TEMPERATURE, call.temperature());
        }
        return b.startSpan();
    }

    private static void ended(RequestTrace trace, Span span, Exchange exchange, boolean judge) {
        Exception failure = exchange.getException();
        if (failure != null) {
            CallHandle handle = CallHandle.of(exchange);
            boolean cut = handle != null && handle.endedBy(failure);
            span.setAttribute(OUTCOME, cut ? "cut" : "failed");
            if (!cut) {
                span.setAttribute(ERROR_TYPE, errorType(failure));
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
            return;
        }
        ProviderReply reply = exchange.getMessage().getBody(ProviderReply.class);
        if (reply != null) {
            span.setAttribute(RESPONSE_MODEL, reply.model());
            span.setAttribute(INPUT_TOKENS, reply.promptTokens());
            span.setAttribute(OUTPUT_TOKENS, reply.completionTokens());
        }
        if (judge) {
            span.setAttribute(OUTCOME, "judge");
            span.end();
        } else {
            trace.answered(span, reply);
        }
    }

    /** The backend's HTTP status when it gave one, else the kind of failure (no message: it may quote the backend). */
    private static String errorType(Exception failure) {
        return failure instanceof dev.llmpool.providers.ProviderException p && p.status() > 0
                ? String.valueOf(p.status()) : failure.getClass().getSimpleName();
    }

    /** The W3C header for a span: {@code 00-<trace id>-<span id>-<flags>}. */
    static String traceparent(SpanContext context) {
        return "00-" + context.getTraceId() + "-" + context.getSpanId() + "-" + context.getTraceFlags().asHex();
    }
}
