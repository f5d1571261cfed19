package dev.llmpool.streaming;

import java.net.http.HttpClient;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

import dev.llmpool.ensemble.ProviderStats;
import dev.llmpool.resilience.ProviderGuards;
import dev.llmpool.routing.Plan;
import dev.llmpool.routing.TaskResolver;

/**
 * The route's ensemble step for a streaming caller under FASTEST: races the plan's providers with streaming
 * calls and forwards the first one to produce a token to the caller's {@link ChunkSink}, then leaves the same
 * {@link dev.llmpool.ensemble.Outcome} as the whole-answer ensemble, so the rest of the route (response,
 * cache) does not know the difference. Asynchronous, like {@link dev.llmpool.ensemble.EnsembleProcessor}.
 */
public class StreamingEnsemble extends AsyncProcessorSupport {

    /** Made on the first streaming call: building a JDK HttpClient sets up TLS, which start-up need not wait for. */
    private final Supplier<HttpClient> http;
    private final ScheduledExecutorService timers;
    private final ProviderStats stats;
    private final ObjectMapper mapper;
    private final ProviderGuards guards;
    private final dev.llmpool.metrics.TokenMeter tokens;

    public StreamingEnsemble(Supplier<HttpClient> http, ScheduledExecutorService timers, ProviderStats stats, ObjectMapper mapper,
                             ProviderGuards guards, dev.llmpool.metrics.TokenMeter tokens) {
        this.tokens = tokens;
        this.http = http;
        this.guards = guards;
        this.timers = timers;
        this.stats = stats;
        this.mapper = mapper;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Plan plan = exchange.getProperty(TaskResolver.PLAN, Plan.class);
        ChunkSink sink = exchange.getProperty(ChunkSink.PROPERTY, ChunkSink.class);
        new StreamingRace(plan, sink, exchange, callback, http.get(), mapper, guards, timers,
                stats, tokens).start();
        return false;
    }
}
