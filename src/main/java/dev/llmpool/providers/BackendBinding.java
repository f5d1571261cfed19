package dev.llmpool.providers;

import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.client.impl.ClientPhase;
import io.vertx.ext.web.client.impl.HttpContext;
import io.vertx.ext.web.client.impl.WebClientInternal;
import org.apache.camel.Exchange;
import org.apache.camel.component.vertx.http.DefaultVertxHttpBinding;
import org.apache.camel.component.vertx.http.VertxHttpConfiguration;
import org.apache.camel.component.vertx.http.VertxHttpEndpoint;
import org.apache.camel.support.ExchangeHelper;


/**
 * camel-vertx-http's request binding for the provider routes: sends every backend call to the replica its guard chose,
 * through that replica's connection pool (see clients()), and holds the call to what is left of the
 * request's deadline as a whole. camel-vertx-http has one timeout per endpoint, and Vert.x's request timeout bounds
 * the connect and each wait for data, not the call: a backend that trickles its body byte by byte would keep its
 * connection (and its bulkhead slot) long after the caller got its 504. So each call also gets a hard cut, GRACE_MS
 * after its budget, that resets the connection in whatever phase the call is (a web client interceptor: Vert.x's
 * internal API, the only place that sees the wire request). The same place lets a call's {@link CallHandle} stop it
 * when its sender abandons it; both go through {@link ConnectionReset}, which never closes a connection that has
 * moved on to another call.
 */
public class BackendBinding extends DefaultVertxHttpBinding {

    /** After the budget, so that the request's own deadline (a 504) and Vert.x's timeout act first. */
    static final long GRACE_MS = 50;

    private final Vertx vertx;
    private final WebClientOptions options;
    /** One connection pool per replica (and max-concurrency): see clients(). */
    private final Map<String, Clients> byReplica = new ConcurrentHashMap<>();

    /** A connection pool, and the web client over it that whole-answer calls use (streamed calls use the pool's). */
    private record Clients(HttpClient http, WebClient web) {
    }
    /** Calls whose connection failed after the response headers came: their failure says so (handleResponse). */
    private final Set<HttpRequest<?>> failedMidResponse = ConcurrentHashMap.newKeySet();
    /** Calls their sender may cancel, until they are on the wire (then their handle can stop them). */
    private final Map<HttpRequest<?>, CallHandle> cancellable = new ConcurrentHashMap<>();

    /** @param options the backend connections' settings; the keep-alive timeout closes idle ones */
    public BackendBinding(Vertx vertx, WebClientOptions options) {
        this.vertx = vertx;
        this.options = options;
    }

    /**
     * The connection pool of a replica: at most its provider's max-concurrency connections, the most calls its
     * guard lets through at once, so the pool never holds more connections than the backend is asked to serve.
     * Engines such as llama.cpp's server pin one of their few HTTP threads per open connection, idle or not: more
     * connections than calls (a pool per event loop, each keeping its own idle ones) starved them. Idle connections
     * close after pool.http.idle-timeout-ms (the options' keep-alive timeout).
     */
    private Clients clients(String replicaUrl, int maxConcurrency) {
        String key = maxConcurrency + " " + replicaUrl;
        Clients clients = byReplica.get(key);
        return clients != null ? clients : byReplica.computeIfAbsent(key, k -> {
            HttpClient http = vertx.createHttpClient(new WebClientOptions(options),
                    new PoolOptions().setHttp1MaxSize(maxConcurrency).setHttp2MaxSize(maxConcurrency)
                            .setCleanerPeriod(options.getPoolCleanerPeriod()));
            WebClient web = WebClient.wrap(http, options);
            ((WebClientInternal) web).addInterceptor(this::cutAtBudget);
            return new Clients(http, web);
        });
    }

    /** The connection pool for a streamed call to this replica: the same pools whole answers use. */
    public HttpClient httpClient(String replicaUrl, int maxConcurrency) {
        return clients(replicaUrl, maxConcurrency).http();
    }

    @Override
    public HttpRequest<Buffer> prepareHttpRequest(VertxHttpEndpoint endpoint, Exchange exchange) {
        VertxHttpConfiguration config = endpoint.getConfiguration();
        HttpMethod method = config.getHttpMethod() != null ? config.getHttpMethod() : HttpMethod.POST;
        ProviderCall call = exchange.getProperty(CallProperties.CALL, ProviderCall.class);
        String replica = exchange.getProperty(CallProperties.REPLICA_URL, String.class);
        // The replica the guard chose; the endpoint's own URL (the provider's first replica) names the route only
        URI uri = replica == null || call == null ? config.getHttpUri()
                : URI.create(replica + Dialect.of(call.provider().kind()).chatPath());
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        Clients clients = clients(replica != null ? replica : uri.getScheme() + "://" + uri.getRawAuthority(),
                call != null ? call.provider().maxConcurrency() : options.getMaxPoolSize());
        HttpRequest<Buffer> request = clients.web().request(method, uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80,
                uri.getHost(), uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery()).ssl(tls);
        String contentType = ExchangeHelper.getContentType(exchange);
        if (contentType != null) {
            request.putHeader("Content-Type", contentType);
        }
        Object traceparent = exchange.getProperty(CallProperties.TRACEPARENT); // with tracing on: the call's span
        if (traceparent != null) {
            request.putHeader("traceparent", traceparent.toString());
        }
        if (call != null) {
            request.timeout(Math.max(1, call.remainingMillis()));
        }
        exchange.setProperty(CallProperties.WIRE_REQUEST, request);
        CallHandle handle = CallHandle.of(exchange);
        if (handle != null) {
            cancellable.put(request, handle);
        }
        return request;
    }

    @Override
    public void handleResponse(VertxHttpEndpoint endpoint, Exchange exchange, AsyncResult<HttpResponse<Buffer>> response)
            throws Exception {
        Object wire = exchange.removeProperty(CallProperties.WIRE_REQUEST);
        if (wire != null) {
            cancellable.remove(wire); // a call that failed before it was sent
        }
        if (wire != null && failedMidResponse.remove(wire)) {
            exchange.setException(new ProviderException(0, "connection closed mid-response"));
            return;
        }
        if (!response.succeeded() || endpoint.getConfiguration().isThrowExceptionOnFailure()) {
            super.handleResponse(endpoint, exchange, response);
            return;
        }
        // The status and the body are all the decoder reads: Camel's binding would also copy every response header
        // into the message through its header filter (case-insensitive map, lower-casing), 4% of VOTING's CPU in
        // JFR, and copy the body out of its buffer
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, response.result().statusCode());
        exchange.getMessage().setBody(response.result().body());
    }

    /**
     * Arms the cut and hands the call's handle what stops it when the request goes out (a call cancelled before
     * that fails here, unsent); disarms the cut when the response is complete or the call failed.
     */
    private void cutAtBudget(HttpContext<?> ctx) {
        if (ctx.phase() == ClientPhase.SEND_REQUEST) {
            CallHandle handle = cancellable.remove(ctx.request());
            if (handle != null && handle.cancelled()) {
                ctx.fail(handle.reason());
                return;
            }
            ConnectionReset reset = ConnectionReset.of(ctx.clientRequest());
            long budget = ctx.request().timeout();
            if (budget > 0) {
                long timer = vertx.setTimer(budget + GRACE_MS,
                        id -> reset.reset(new TimeoutException("call budget of " + budget + " ms spent")));
                ctx.set(CallProperties.CUT_TIMER, timer);
            }
            if (handle != null) { // a reset after the response's end is harmless: ConnectionReset checks
                handle.onEnd(() -> reset.resetSoon(handle.reason()));
            }
        } else if (ctx.phase() == ClientPhase.DISPATCH_RESPONSE || ctx.phase() == ClientPhase.FAILURE) {
            Long timer = ctx.get(CallProperties.CUT_TIMER);
            if (timer != null) {
                vertx.cancelTimer(timer);
            }
            if (ctx.phase() == ClientPhase.FAILURE && ctx.clientResponse() != null
                    && ctx.failure() instanceof HttpClosedException) {
                failedMidResponse.add(ctx.request());
            }
        }
        ctx.next();
    }
}
