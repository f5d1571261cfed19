package dev.llmpool.ensemble;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

import dev.llmpool.api.RequestState;
import dev.llmpool.routing.Plan;
import dev.llmpool.routing.ProviderCalls;
import dev.llmpool.streaming.ChunkSink;

/**
 * The route's ensemble step: runs the plan's strategy over the plan's providers ({@link Race}) and leaves an
 * {@link Outcome} on the exchange (or the error that ended it). Asynchronous: it returns at once and completes the
 * exchange when the strategy has decided. A streaming caller ({@link ChunkSink} on the exchange) under FASTEST gets
 * the winner's tokens as generated; the other strategies answer it whole.
 */
public class EnsembleProcessor extends AsyncProcessorSupport {


    private final Map<Strategy, EnsembleStrategy> strategies = new EnumMap<>(Strategy.class);
    private final ProviderCalls calls;
    private final ScheduledExecutorService timers;
    private final ProviderStats stats;
    private final AnswerEmbeddings embeddings;

    public EnsembleProcessor(ProviderCalls calls, ScheduledExecutorService timers, ProviderStats stats,
                             Iterable<EnsembleStrategy> available) {
        this(calls, timers, stats, available, null);
    }

    /** @param embeddings embeds answers for tasks that group them by meaning; null: every task groups by text */
    public EnsembleProcessor(ProviderCalls calls, ScheduledExecutorService timers, ProviderStats stats,
                             Iterable<EnsembleStrategy> available, AnswerEmbeddings embeddings) {
        this.embeddings = embeddings;
        this.calls = calls;
        this.timers = timers;
        this.stats = stats;
        available.forEach(s -> strategies.put(s.kind(), s));
    }

    public static Outcome outcome(Exchange exchange) {
        return RequestState.of(exchange).outcome();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        RequestState state = RequestState.of(exchange);
        Plan plan = state.plan();
        EnsembleStrategy strategy = strategies.get(plan.strategy());
        if (strategy == null) {
            exchange.setException(new dev.llmpool.api.ApiException(400, "unsupported_strategy",
                    "strategy " + plan.strategy() + " is not available", "strategy"));
            callback.done(true);
            return true;
        }
        ChunkSink sink = plan.strategy() == Strategy.FASTEST ? state.chunkSink() : null;
        new Race(plan, strategy, sink, exchange, callback, calls, timers, stats, embeddings).start();
        return false;
    }
}
