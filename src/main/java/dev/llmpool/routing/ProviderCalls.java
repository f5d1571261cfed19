package dev.llmpool.routing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.service.ServiceHelper;

/**
 * Sends an exchange to a provider's route ({@code direct:provider-<name>}) on the calling thread: the route runs
 * until its backend call goes asynchronous, then the thread is free; {@code done} runs when the route ends. Unlike
 * ProducerTemplate's async methods, no thread pool hands the call over or waits for it.
 */
public class ProviderCalls {

    private final CamelContext camel;
    private final Executor elsewhere;
    private final Map<String, AsyncProducer> producers = new ConcurrentHashMap<>();

    /** @param elsewhere runs {@code done} for a route that ended before send returned (a refusal, a spent budget) */
    public ProviderCalls(CamelContext camel, Executor elsewhere) {
        this.camel = camel;
        this.elsewhere = elsewhere;
    }

    public void send(String provider, Exchange exchange, Runnable done) {
        AtomicBoolean returned = new AtomicBoolean();
        // A caller holding a lock while it sends must not see done run inside send: hand it over then.
        producer(provider).process(exchange, doneSync -> {
            if (returned.get()) {
                done.run();
            } else {
                elsewhere.execute(done);
            }
        });
        returned.set(true);
    }

    private AsyncProducer producer(String provider) {
        return producers.computeIfAbsent(provider, name -> {
            try {
                AsyncProducer p = camel.getEndpoint(ProviderRoutes.endpointOf(name)).createAsyncProducer();
                ServiceHelper.startService(p);
                return p;
            } catch (Exception e) {
                throw new IllegalStateException("cannot send to provider " + name, e);
            }
        });
    }
}
