package dev.llmpool.providers;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClientOptions;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.PropertyInject;

/** Calls to the backends (routes/providers.camel.yaml): the HTTP client and the steps around a provider call. */
public class ProviderBeans {

    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * camel-vertx-http, going on after a call on the event loop, on the pool's Vert.x. Bound under the component's
     * name, where Camel looks for a component first; its Vert.x is set here, as the component's own lookup by type
     * finds none when the registry holds more than one (several pools in one JVM, as in tests) and then starts a
     * Vert.x of its own.
     */
    @BindToRegistry("vertx-http")
    public EventLoopHttpComponent vertxHttpComponent(@BeanInject("vertx") Vertx vertx) {
        EventLoopHttpComponent http = new EventLoopHttpComponent();
        http.setVertx(vertx);
        return http;
    }

    /** Connections to backends, shared by every provider endpoint (camel-vertx-http's webClientOptions). */
    @BindToRegistry
    public WebClientOptions backendClientOptions(
            @PropertyInject(value = "pool.http.max-connections", defaultValue = "1000") int maxConnections,
            @PropertyInject(value = "pool.http.connect-timeout-ms", defaultValue = "1000") long connectTimeoutMs,
            // idle backend connections close after this (whole seconds in Vert.x: rounded up)
            @PropertyInject(value = "pool.http.idle-timeout-ms", defaultValue = "1000") long backendIdleTimeoutMs) {
        return new WebClientOptions()
                .setMaxPoolSize(maxConnections)      // per backend host:port; provider calls: max-concurrency per replica
                .setConnectTimeout((int) connectTimeoutMs)
                .setKeepAlive(true)
                // Vert.x's keep-alive timeout is in whole seconds (its idle timeout would also cut a call in progress
                // that waits for a slow model's first byte); the pool's cleaner looks for expired ones this often
                .setKeepAliveTimeout((int) Math.max(1, (backendIdleTimeoutMs + 999) / 1000))
                .setPoolCleanerPeriod((int) Math.max(100, Math.min(1000, backendIdleTimeoutMs)))
                .setTcpNoDelay(true)
                .setUserAgentEnabled(false);
    }

    /** A provider call on the event loop, whole or streamed (see streaming/StreamedCall). */
    @BindToRegistry
    public BackendBinding backendBinding(@BeanInject("vertx") Vertx vertx,
                                         @BeanInject("backendClientOptions") WebClientOptions options) {
        return new BackendBinding(vertx, options);
    }

    @BindToRegistry
    public ProviderCallPreparer providerCall() {
        return new ProviderCallPreparer();
    }

    @BindToRegistry
    public BackendRequestEncoder backendRequest() {
        return new BackendRequestEncoder(mapper);
    }

    @BindToRegistry
    public BackendResponseDecoder backendResponse() {
        return new BackendResponseDecoder(mapper);
    }
}
