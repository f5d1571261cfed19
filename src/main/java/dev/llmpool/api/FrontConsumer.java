package dev.llmpool.api;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.spi.HeaderFilterStrategy;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.cache.ExactRepeats;

/**
 * The consumer of a {@code platform-http:} route on {@link HttpFront}: it turns a request whose body has been read
 * into an exchange and runs the route with Camel's asynchronous routing engine on the event loop that read it (the
 * routes behind it never block: see routes/infer.camel.yaml), then writes the reply on that event loop when the
 * route's callback says it is done. The In message is platform-http-vertx's {@link HttpMessage}, so a route step can
 * reach the Vert.x request and response (to stream, for instance), and carries the request's headers, query
 * parameters and the {@code CamelHttp*} headers; the body is the request's bytes.
 *
 * <p>The reply is the message's status ({@code CamelHttpResponseCode}), its headers through the endpoint's header
 * filter, and its body (text or bytes), written in one piece with its Content-Length. A route that fails without
 * handling its error gets a 500 in its path's error shape; the failure goes to the log with the request id.
 */
final class FrontConsumer extends DefaultConsumer implements PlatformHttpConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(FrontConsumer.class);

    private final HttpFront front;
    private final String path;
    private final boolean prefix;
    /** The path's segments when it names parameters ({@code /v1/models/{id}}), else null. */
    private final String[] template;
    private final Set<String> methods;

    FrontConsumer(PlatformHttpEndpoint endpoint, Processor processor, HttpFront front) {
        super(endpoint, processor);
        this.front = front;
        String p = endpoint.getPath();
        this.prefix = endpoint.isMatchOnUriPrefix() || p.endsWith("/*");
        this.path = p.endsWith("/*") ? p.substring(0, p.length() - 1) : p;
        this.template = !prefix && p.contains("{") ? p.split("/", -1) : null;
        String restrict = endpoint.getHttpMethodRestrict();
        TreeSet<String> allowed = new TreeSet<>();
        if (restrict == null || restrict.isBlank()) {
            allowed.addAll(List.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"));
        } else {
            Arrays.stream(restrict.split(",")).map(m -> m.trim().toUpperCase(Locale.ROOT)).filter(m -> !m.isEmpty())
                    .forEach(allowed::add);
        }
        this.methods = Set.copyOf(allowed);
    }

    @Override
    public PlatformHttpEndpoint getEndpoint() {
        return (PlatformHttpEndpoint) super.getEndpoint();
    }

    String path() {
        return path;
    }

    boolean matchesPrefix() {
        return prefix;
    }

    boolean isTemplate() {
        return template != null;
    }

    /**
     * The parameters a request path gives this consumer's template ({@code /ui/{file}} and {@code /ui/app.js}: file =
     * app.js), or null when it does not match. Each parameter is one whole, non-empty segment.
     */
    Map<String, String> parameters(String requestPath) {
        String[] segments = requestPath.split("/", -1);
        if (template == null || segments.length != template.length) {
            return null;
        }
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < segments.length; i++) {
            String t = template[i];
            if (t.length() > 2 && t.startsWith("{") && t.endsWith("}")) {
                if (segments[i].isEmpty()) {
                    return null;
                }
                params.put(t.substring(1, t.length() - 1), segments[i]);
            } else if (!t.equals(segments[i])) {
                return null;
            }
        }
        return params;
    }

    Set<String> methods() {
        return methods;
    }

    boolean allows(HttpMethod method) {
        return methods.contains(method.name());
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        front.register(this);
    }

    @Override
    protected void doStop() throws Exception {
        front.unregister(this);
        super.doStop();
    }

    /** Runs the route for a request whose body has been read; {@code raw} is for ExactRepeats (null when off). */
    void process(HttpServerRequest req, Buffer body, ExactRepeats.Raw raw) {
        if (!isRunAllowed() || isSuspended()) {
            HttpFront.refuse(req, 503, "unavailable", "this endpoint is not running", false);
            return;
        }
        Context eventLoop = Vertx.currentContext();
        Exchange exchange = createExchange(false);
        exchange.setPattern(ExchangePattern.InOut);
        exchange.setIn(message(exchange, req, body));
        RequestState state = RequestState.of(exchange);  // the request's one state object, made here for HTTP
        state.setRaw(raw);
        // A caller that hangs up leaves no one to answer: whatever is running for it stops (the race's calls)
        CallerLink caller = new CallerLink();
        state.setCallerLink(caller);
        req.response().closeHandler(closed -> caller.gone());
        try {
            createUoW(exchange);
            getAsyncProcessor().process(exchange, doneSync -> {
                if (Vertx.currentContext() == eventLoop) {
                    respond(exchange, req);
                } else {
                    eventLoop.runOnContext(v -> respond(exchange, req));
                }
            });
        } catch (Exception e) {
            exchange.setException(e);
            respond(exchange, req);
        }
    }

    private Message message(Exchange exchange, HttpServerRequest req, Buffer body) {
        HttpMessage in = new HttpMessage(exchange, req, req.response());
        HeaderFilterStrategy filter = getEndpoint().getHeaderFilterStrategy();
        for (String name : req.headers().names()) {
            List<String> values = req.headers().getAll(name);
            Object value = values.size() == 1 ? values.get(0) : values;
            if (filter == null || !filter.applyFilterToExternalHeaders(name, value, exchange)) {
                in.setHeader(name, value);
            }
        }
        req.params().names().forEach(name -> {
            if (!in.getHeaders().containsKey(name)) {
                List<String> values = req.params().getAll(name);
                in.setHeader(name, values.size() == 1 ? values.get(0) : values);
            }
        });
        if (template != null) {
            Map<String, String> params = parameters(req.path());
            if (params != null) {
                params.forEach(in::setHeader);
            }
        }
        in.setHeader(Exchange.HTTP_METHOD, req.method().name());
        in.setHeader(Exchange.HTTP_PATH, req.path());
        in.setHeader(Exchange.HTTP_URI, req.uri());
        if (req.query() != null) {
            in.setHeader(Exchange.HTTP_QUERY, req.query());
            in.setHeader(Exchange.HTTP_RAW_QUERY, req.query());
        }
        String contentType = req.getHeader("Content-Type");
        if (contentType != null) {
            in.setHeader(Exchange.CONTENT_TYPE, contentType);
        }
        in.setBody(body.length() > 0 ? body.getBytes() : null);
        return in;
    }

    private void respond(Exchange exchange, HttpServerRequest req) {
        // The exchange's completion steps run before the caller can see the answer: a failed request frees its
        // Idempotency-Key and its place among identical requests in flight there, and a caller retrying at once
        // must not find them still held.
        doneUoW(exchange);
        try {
            HttpServerResponse response = req.response();
            if (response.closed() || response.ended()) {
                return;  // the caller has gone, or a step wrote the answer itself (a stream)
            }
            if (exchange.getException() != null) {
                String requestId = RequestState.of(exchange).requestId();
                LOG.error("event=internal_error request_id={} route={} path=\"{}\"", requestId,
                        exchange.getFromRouteId(), dev.llmpool.logging.LogText.of(req.path()), exchange.getException());
                if (requestId != null) {
                    req.headers().set(Headers.REQUEST_ID, requestId);
                }
                HttpFront.refuse(req, 500, "internal_error", "internal error; see the service log", false);
                return;
            }
            write(exchange, response);
        } finally {
            releaseExchange(exchange, false);
        }
    }

    private void write(Exchange exchange, HttpServerResponse response) {
        Message message = exchange.getMessage();
        Object body = message.getBody();
        Integer status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        response.setStatusCode(status != null ? status : body == null ? 204 : 200);
        HeaderFilterStrategy filter = getEndpoint().getHeaderFilterStrategy();
        message.getHeaders().forEach((name, value) -> {
            if (value == null || name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding")
                    || (filter != null && filter.applyFilterToCamelHeaders(name, value, exchange))) {
                return;
            }
            if (value instanceof Iterable<?> values) {
                values.forEach(v -> response.headers().add(name, String.valueOf(v)));
            } else {
                response.putHeader(name, value.toString());
            }
        });
        String contentType = message.getHeader(Exchange.CONTENT_TYPE, String.class);
        if (contentType != null) {
            response.putHeader("Content-Type", contentType);
        }
        if (body == null) {
            response.end();
        } else if (body instanceof byte[] bytes) {
            response.end(Buffer.buffer(bytes));
        } else if (body instanceof Buffer buffer) {
            response.end(buffer);
        } else {
            String text = body instanceof String s ? s : exchange.getContext().getTypeConverter().convertTo(String.class,
                    exchange, body);
            response.end(Buffer.buffer(text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
