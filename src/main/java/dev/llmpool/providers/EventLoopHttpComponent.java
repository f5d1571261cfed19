package dev.llmpool.providers;

import java.util.Map;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpRequest;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Producer;
import org.apache.camel.component.vertx.http.VertxHttpBinding;
import org.apache.camel.component.vertx.http.VertxHttpComponent;
import org.apache.camel.component.vertx.http.VertxHttpComponentConfigurer;
import org.apache.camel.component.vertx.http.VertxHttpEndpointConfigurer;
import org.apache.camel.spi.PropertyConfigurer;
import org.apache.camel.component.vertx.http.VertxHttpEndpoint;
import org.apache.camel.support.DefaultAsyncProducer;

/**
 * camel-vertx-http, bound as the {@code vertx-http} component, whose producer goes on with the route on the event
 * loop that received the answer. Camel 4.17's producer hands every answer to a Vert.x worker thread first
 * (executeBlocking), in case the steps after the call block; the pool's never do (decoding JSON, the ensemble's
 * bookkeeping, writing the response), and the hand-off cost a thread switch there and another one back to the event
 * loop to write the response: a sixth of a request's CPU and most of its added latency (docs/performance.md).
 * Endpoint options, bindings and the web client are camel-vertx-http's own; only the hand-off is gone, so the steps
 * after a {@code vertx-http} call must not block.
 */
public class EventLoopHttpComponent extends VertxHttpComponent {

    // Camel finds a component's option configurers by its class name: a subclass names camel-vertx-http's own.
    private final PropertyConfigurer componentOptions = new VertxHttpComponentConfigurer();
    private final PropertyConfigurer endpointOptions = new VertxHttpEndpointConfigurer();

    @Override
    public PropertyConfigurer getComponentPropertyConfigurer() {
        return componentOptions;
    }

    @Override
    public PropertyConfigurer getEndpointPropertyConfigurer() {
        return endpointOptions;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        VertxHttpEndpoint configured = (VertxHttpEndpoint) super.createEndpoint(uri, remaining, parameters);
        return new VertxHttpEndpoint(uri, this, configured.getConfiguration()) {
            @Override
            public Producer createProducer() {
                return new EventLoopProducer(this);
            }
        };
    }

    /** Sends the body as it is (a Vert.x buffer or bytes) and completes on the thread that gets the answer. */
    static final class EventLoopProducer extends DefaultAsyncProducer {

        EventLoopProducer(VertxHttpEndpoint endpoint) {
            super(endpoint);
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            VertxHttpEndpoint endpoint = (VertxHttpEndpoint) getEndpoint();
            VertxHttpBinding binding = endpoint.getConfiguration().getVertxHttpBinding();
            try {
                HttpRequest<Buffer> request = binding.prepareHttpRequest(endpoint, exchange);
                Object body = exchange.getMessage().getBody();
                if (body == null) {
                    request.send(answer -> completed(binding, endpoint, exchange, answer, callback));
                } else {
                    request.sendBuffer(body instanceof Buffer b ? b : Buffer.buffer(exchange.getMessage().getBody(byte[].class)),
                            answer -> completed(binding, endpoint, exchange, answer, callback));
                }
                return false;
            } catch (Exception e) {
                exchange.setException(e);
                callback.done(true);
                return true;
            }
        }

        private static void completed(VertxHttpBinding binding, VertxHttpEndpoint endpoint, Exchange exchange,
                                      io.vertx.core.AsyncResult<io.vertx.ext.web.client.HttpResponse<Buffer>> answer,
                                      AsyncCallback callback) {
            try {
                binding.handleResponse(endpoint, exchange, answer);
            } catch (Exception e) {
                exchange.setException(e);
            }
            callback.done(false);
        }
    }
}
