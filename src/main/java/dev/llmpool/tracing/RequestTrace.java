package dev.llmpool.tracing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.Clock;
import org.apache.camel.Exchange;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.RequestState;
import dev.llmpool.ensemble.EnsembleProcessor;
import dev.llmpool.ensemble.Outcome;
import dev.llmpool.providers.ProviderReply;

/**
 * One request's SERVER span, kept on its exchange (and copied to its calls' exchanges) while tracing is on, and the
 * spans of its calls that answered: whether such a call won or lost is known only when the request ends, so each
 * waits here and is then ended with the time it really ended. A call answering after its request ended lost.
 */
public final class RequestTrace {


    private static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("llmpool.request_id");
    private static final AttributeKey<String> API = AttributeKey.stringKey("llmpool.api");
    private static final AttributeKey<String> TASK = AttributeKey.stringKey("llmpool.task");
    private static final AttributeKey<String> STRATEGY = AttributeKey.stringKey("llmpool.strategy");
    private static final AttributeKey<String> TENANT = AttributeKey.stringKey("llmpool.tenant");
    private static final AttributeKey<String> WINNER = AttributeKey.stringKey("llmpool.winner");
    private static final AttributeKey<Boolean> FROM_CACHE = AttributeKey.booleanKey("llmpool.from_cache");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

    private record Answered(Span span, ProviderReply reply, long endedEpochNanos) {
    }

    private final Span span;
    private final Context context;
    private final List<Answered> answered = new ArrayList<>(); // guarded by this
    private boolean ended;                                      // guarded by this

    RequestTrace(Span span) {
        this.span = span;
        this.context = Context.root().with(span);
    }

    /** The parent of the request's calls. */
    Context context() {
        return context;
    }

    /** A call answered: its span ends once the request knows whether it won. */
    void answered(Span call, ProviderReply reply) {
        long now = Clock.getDefault().now();
        synchronized (this) {
            if (!ended) {
                answered.add(new Answered(call, reply, now));
                return;
            }
        }
        call.setAttribute(CallSpans.OUTCOME, "lost");
        call.end(now, TimeUnit.NANOSECONDS);
    }

    /** The request ended with this status: its calls that answered learn their outcome, and its span ends. */
    public void end(Exchange exchange, String api, String task, String strategy, int status) {
        RequestState state = RequestState.of(exchange);
        List<Answered> calls;
        synchronized (this) {
            ended = true;
            calls = List.copyOf(answered);
            answered.clear();
        }
        Outcome outcome = EnsembleProcessor.outcome(exchange);
        ProviderReply winner = status == 200 && outcome != null ? outcome.winner() : null;
        for (Answered a : calls) {
            a.span().setAttribute(CallSpans.OUTCOME, a.reply() != null && a.reply() == winner ? "won" : "lost");
            a.span().end(a.endedEpochNanos(), TimeUnit.NANOSECONDS);
        }
        span.updateName(api + " " + task);
        String requestId = state.requestId();
        if (requestId != null) {
            span.setAttribute(REQUEST_ID, requestId);
        }
        span.setAttribute(API, api);
        span.setAttribute(TASK, task);
        span.setAttribute(STRATEGY, strategy);
        span.setAttribute(TENANT, state.tenantOrDefault());
        span.setAttribute(STATUS, status);
        boolean fromCache = state.fromCache();
        span.setAttribute(FROM_CACHE, fromCache);
        if (winner != null) {
            span.setAttribute(WINNER, winner.provider());
            if (!fromCache) {
                span.setAttribute(CallSpans.INPUT_TOKENS, outcome.promptTokens());
                span.setAttribute(CallSpans.OUTPUT_TOKENS, outcome.completionTokens());
            }
        }
        if (status >= 400) {
            Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
            span.setAttribute(CallSpans.ERROR_TYPE, error instanceof ApiException e ? e.code() : String.valueOf(status));
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
        }
        span.end();
    }
}
