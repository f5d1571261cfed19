package dev.llmpool.routing;

import dev.llmpool.providers.CallProperties;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.service.ServiceHelper;

/**
 * The one way to call a provider, for a whole answer ({@link #infer}) or a stream ({@link #inferStream}): both send
 * the branch exchange to the provider's live route ({@link ProviderRoutes#endpointOf}), which takes the provider's breaker
 * and bulkhead permit and makes the backend call; a streamed call also hands each piece of content to
 * {@code tokens} as the model generates it. The route runs on the calling thread until its backend call goes
 * asynchronous, then the thread is free; {@code done} runs when the route ends, with a ProviderReply body or an
 * exception on the branch. Unlike ProducerTemplate's async methods, no thread pool hands the call over or waits.
 */
public class ProviderCalls {


    private final CamelContext camel;
    private final Executor elsewhere;
    private final ProviderRoutes routes;
    private final Predicate<String> freeSlot;
    /** By endpoint: a provider's route moves to a new endpoint when it is rebuilt (see ProviderRoutes). */
    private final Map<String, AsyncProducer> producers = new ConcurrentHashMap<>();

    /** @param elsewhere runs {@code done} for a route that ended before send returned (a refusal, a spent budget) */
    public ProviderCalls(CamelContext camel, Executor elsewhere, ProviderRoutes routes) {
        this(camel, elsewhere, routes, provider -> true);
    }

    /** @param freeSlot whether a provider would take a call now, without waiting in its queue (ProviderGuards) */
    public ProviderCalls(CamelContext camel, Executor elsewhere, ProviderRoutes routes, Predicate<String> freeSlot) {
        this.camel = camel;
        this.elsewhere = elsewhere;
        this.routes = routes;
        this.freeSlot = freeSlot;
    }

    /** True when a call to the provider would get a slot now; false when it would wait for one. */
    public boolean hasFreeSlot(String provider) {
        return freeSlot.test(provider);
    }

    /** Calls the provider for a whole answer. */
    public void infer(String provider, Exchange exchange, Runnable done) {
        send(provider, exchange, done);
    }

    /** Calls the provider with streaming on; {@code tokens} gets the content as generated, never after done. */
    public void inferStream(String provider, Exchange exchange, Consumer<String> tokens, Runnable done) {
        exchange.setProperty(CallProperties.TOKENS, tokens);
        send(provider, exchange, done);
    }

    private void send(String provider, Exchange exchange, Runnable done) {
        AtomicBoolean returned = new AtomicBoolean();
        // A caller holding a lock while it sends must not see done run inside send: hand it over then.
        producer(routes.endpointOf(provider)).process(exchange, doneSync -> {
            if (returned.get()) {
                done.run();
            } else {
                elsewhere.execute(done);
            }
        });
        returned.set(true);
    }

    private AsyncProducer producer(String endpoint) {
        return producers.computeIfAbsent(endpoint, uri -> {
            try {
                AsyncProducer p = camel.getEndpoint(uri).createAsyncProducer();
                ServiceHelper.startService(p);
                return p;
            } catch (Exception e) {
                throw new IllegalStateException("cannot send to " + uri, e);
            }
        });
    }
}
