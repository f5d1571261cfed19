package dev.llmpool.api;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.cache.ExactRepeats;
import dev.llmpool.lifecycle.ConnectionDrain;
import dev.llmpool.logging.LogText;

/**
 * The HTTP port: a Vert.x request handler of ours in front of the {@code platform-http:} routes of routes/*.yaml
 * ({@link FrontConsumer}s register their paths here). Before any route runs it refuses what no route should see, in
 * the error shape of the API the path belongs to ({@link ErrorShape}), always as JSON:
 * <ul>
 * <li>requests Netty could not decode: 414 (request line too long), 431 (headers too large), 400 otherwise;</li>
 * <li>ambiguous framing (request smuggling's tools): two Host headers, a Transfer-Encoding other than exactly
 * {@code chunked}, both Transfer-Encoding and Content-Length, a Content-Length that is not one number: 400;</li>
 * <li>an unknown path: 404; a method the path's routes do not take: 405 with {@code Allow};</li>
 * <li>a body over {@code pool.limits.max-body-bytes}: 413 before it is read (also for
 * {@code Expect: 100-continue}, which gets no 100 Continue then), or as soon as a chunked body passes it;
 * an Expect other than 100-continue: 417;</li>
 * <li>a connection over {@link FrontLimits#maxConnections()}: 503 (see {@link ConnectionGuard}).</li>
 * </ul>
 * A connection refused before its request was read whole closes after the answer the lingering way
 * ({@link LingeringClose}), so that the client reads the answer rather than a reset.
 * Then it answers an exact repeat of a cached request at once ({@link ExactRepeats}: no exchange at all), or
 * hands the request to its route's consumer. A client's protocol error (a malformed chunk, a reset) is one WARN
 * line without a stack trace.
 */
public final class HttpFront implements Handler<HttpServerRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(HttpFront.class);

    private final Map<String, List<FrontConsumer>> byPath = new ConcurrentHashMap<>();
    private final List<FrontConsumer> byPrefix = new CopyOnWriteArrayList<>();
    /** Paths with parameters ({@code /v1/models/{id}}), tried after the exact paths. */
    private final List<FrontConsumer> byTemplate = new CopyOnWriteArrayList<>();
    private final IntSupplier maxBodyBytes;
    private final ExactRepeats repeats;
    private volatile ConnectionGuard guard;

    /**
     * @param maxBodyBytes the current configuration's body limit (it reloads)
     * @param repeats      answers exact repeats of cached requests; null when that is off
     */
    public HttpFront(IntSupplier maxBodyBytes, ExactRepeats repeats) {
        this.maxBodyBytes = maxBodyBytes;
        this.repeats = repeats;
    }

    void register(FrontConsumer consumer) {
        if (consumer.matchesPrefix()) {
            byPrefix.add(consumer);
        } else if (consumer.isTemplate()) {
            byTemplate.add(consumer);
        } else {
            byPath.computeIfAbsent(consumer.path(), p -> new CopyOnWriteArrayList<>()).add(consumer);
        }
    }

    void unregister(FrontConsumer consumer) {
        byPrefix.remove(consumer);
        byTemplate.remove(consumer);
        byPath.computeIfPresent(consumer.path(), (p, list) -> {
            list.remove(consumer);
            return list.isEmpty() ? null : list;
        });
    }

    /**
     * Serves {@code port} from {@code loops} event loops, each with its own server on the same port (instances of one
     * verticle: Vert.x hands the accepted connections to the servers of a port in turn, which is how it scales a
     * server over cores; servers made from one plain thread would all share its one event loop). Blocks until
     * listening; the servers close with Vert.x. {@code drain} lets a graceful shutdown stop taking connections.
     */
    public void serve(Vertx vertx, String host, int port, int loops, FrontLimits limits, ConnectionDrain drain) {
        ConnectionGuard connections = new ConnectionGuard(vertx, limits);
        this.guard = connections;
        HttpServerOptions options = new HttpServerOptions()
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxInitialLineLength(limits.maxLineBytes())
                .setIdleTimeout((int) Math.max(1, limits.idleTimeoutMs()))
                .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
                .setHandle100ContinueAutomatically(false)  // the body limit decides, before any 100 Continue
                .setHttp2ClearTextEnabled(false)
                .setTcpNoDelay(true);
        vertx.deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start(Promise<Void> started) {
                vertx.createHttpServer(options)
                        .connectionHandler(connection -> {
                            connections.handle(connection);
                            drain.accept(connection);  // graceful shutdown: refuses new connections once draining
                            connection.closeHandler(v -> {
                                connections.closed(connection);
                                drain.closed(connection);
                            });
                        })
                        .invalidRequestHandler(HttpFront.this::undecodable)
                        .exceptionHandler(HttpFront::protocolError)
                        .requestHandler(drain.wrap(HttpFront.this))
                        .listen(port, host).<Void> mapEmpty().onComplete(started);
            }
        }, new DeploymentOptions().setInstances(Math.max(1, loops))).toCompletionStage().toCompletableFuture().join();
        LOG.info("event=http_listening host={} port={} event_loops={} max_connections={}", host, port, loops,
                limits.maxConnections());
    }

    @Override
    public void handle(HttpServerRequest req) {
        // A body Netty cannot decode (a malformed chunk) still gets its 400; the server's exception handler logs it
        // (it hears of it too), and a closed connection has nobody to answer.
        req.exceptionHandler(error -> {
            if (!(error instanceof io.vertx.core.http.HttpClosedException)) {
                refuse(req, 400, "bad_request", "the request body's framing is malformed", true);
            }
        });
        ConnectionGuard connections = guard;
        if (connections != null && !connections.admit(req.connection())) {
            refuse(req, 503, "too_many_connections", "the server has too many open connections; retry shortly", true);
            return;
        }
        String framing = framingProblem(req);
        if (framing != null) {
            refuse(req, 400, "bad_request", framing, true);
            return;
        }
        String path = req.path();
        List<FrontConsumer> candidates = consumersFor(path);
        if (candidates.isEmpty()) {
            refuse(req, 404, "not_found", "no such path: " + LogText.of(path, 100), false);
            return;
        }
        FrontConsumer consumer = null;
        for (FrontConsumer c : candidates) {
            if (c.allows(req.method())) {
                consumer = c;
                break;
            }
        }
        if (consumer == null) {
            TreeSet<String> allowed = new TreeSet<>();
            candidates.forEach(c -> allowed.addAll(c.methods()));
            req.response().putHeader(HttpHeaders.ALLOW, String.join(", ", allowed));
            refuse(req, 405, "method_not_allowed", req.method().name() + " is not allowed here; use "
                    + String.join(" or ", allowed), false);
            return;
        }
        readBody(req, consumer);
    }

    private List<FrontConsumer> consumersFor(String path) {
        if (path == null) {
            return List.of();
        }
        List<FrontConsumer> exact = byPath.get(path);
        if ((exact == null || exact.isEmpty()) && path.length() > 1 && path.endsWith("/")) {
            exact = byPath.get(path.substring(0, path.length() - 1));  // /ui/ is /ui
        }
        if (exact != null && !exact.isEmpty()) {
            return exact;
        }
        List<FrontConsumer> templated = byTemplate.stream().filter(c -> c.parameters(path) != null).toList();
        if (!templated.isEmpty()) {
            return templated;
        }
        for (FrontConsumer c : byPrefix) {
            if (path.startsWith(c.path())) {
                return List.of(c);
            }
        }
        return List.of();
    }

    /** Reads the body up to the configured limit, then dispatches; 413 as soon as the limit is known to be passed. */
    private void readBody(HttpServerRequest req, FrontConsumer consumer) {
        int max = maxBodyBytes.getAsInt();
        long declared = contentLength(req);
        String expect = req.getHeader(HttpHeaders.EXPECT);
        if (declared > max) {
            refuse(req, 413, "body_too_large", "request body is " + declared + " bytes; the limit is " + max, true);
            return;
        }
        if (expect != null) {
            if (!"100-continue".equalsIgnoreCase(expect.trim())) {
                refuse(req, 417, "expectation_failed", "only Expect: 100-continue is supported", true);
                return;
            }
            req.response().writeContinue();
        }
        long started = System.nanoTime();
        Buffer body = Buffer.buffer(declared > 0 ? (int) declared : 256);
        boolean[] refused = {false};
        req.handler(chunk -> {
            if (refused[0]) {
                return;
            }
            if (body.length() + chunk.length() > max) {
                refused[0] = true;
                refuse(req, 413, "body_too_large", "request body is over the limit of " + max + " bytes", true);
                return;
            }
            body.appendBuffer(chunk);
        });
        req.endHandler(v -> {
            if (!refused[0] && !req.response().ended()) {
                if (!answeredAsRepeat(req, body, started)) {
                    // a request that may be repeated carries its raw form, for ExactRepeats to remember its answer
                    boolean mayRepeat = repeats != null && repeats.serves(req.path());
                    consumer.process(req, body, mayRepeat ? new ExactRepeats.Raw(body, req.getHeader("Content-Type")) : null);
                }
            }
        });
    }

    /** A repeat of a cached request is answered here, without an exchange (ExactRepeats says which are). */
    private boolean answeredAsRepeat(HttpServerRequest req, Buffer body, long started) {
        if (repeats == null || req.method() != HttpMethod.POST || !repeats.serves(req.path())
                || body.length() > repeats.maxBodyBytes()
                || req.getHeader("Idempotency-Key") != null || req.getHeader("Cache-Control") != null) {
            return false;
        }
        ExactRepeats.Reply reply = repeats.answer(body, req.getHeader("Content-Type"),
                req.getHeader(Headers.REQUEST_ID), started);
        if (reply == null) {
            return false;
        }
        req.response().putHeader(Headers.REQUEST_ID, reply.requestId()).putHeader("Content-Type", "application/json")
                .end(reply.body());
        return true;
    }

    /** Why the request's framing is ambiguous, or null when it is not. */
    static String framingProblem(HttpServerRequest req) {
        if (req.headers().getAll(HttpHeaders.HOST).size() > 1) {
            return "more than one Host header";
        }
        List<String> encodings = req.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
        if (!encodings.isEmpty()) {
            if (encodings.size() > 1 || !"chunked".equalsIgnoreCase(encodings.get(0).trim())) {
                return "Transfer-Encoding must be exactly 'chunked'";
            }
            if (req.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
                return "both Transfer-Encoding and Content-Length";
            }
        }
        if (contentLength(req) == -2) {
            return "Content-Length must be one whole number";
        }
        return null;
    }

    /** The declared body length; -1 when there is none, -2 when it is not one plain number. */
    private static long contentLength(HttpServerRequest req) {
        List<String> values = req.headers().getAll(HttpHeaders.CONTENT_LENGTH);
        if (values.isEmpty()) {
            return -1;
        }
        String v = values.get(0).trim();
        if (values.size() > 1 || v.isEmpty() || v.length() > 18) {
            return -2;
        }
        for (int i = 0; i < v.length(); i++) {
            if (v.charAt(i) < '0' || v.charAt(i) > '9') {
                return -2;
            }
        }
        return Long.parseLong(v);
    }

    /** A request Netty could not decode (Vert.x's invalid-request handler): 414, 431 or 400, as JSON. */
    private void undecodable(HttpServerRequest req) {
        Throwable cause = req.decoderResult() == null ? null : req.decoderResult().cause();
        int status = 400;
        String code = "bad_request";
        String message = "the request could not be parsed as HTTP/1.1";
        if (cause instanceof TooLongHttpLineException) {
            status = 414;
            code = "uri_too_long";
            message = "the request line is longer than the limit";
        } else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            status = 431;
            code = "headers_too_large";
            message = "the request headers are larger than the limit";
        }
        if (cause == null) {  // with a cause, the server's exception handler logs it
            LOG.warn("event=client_protocol_error status={} reason=\"undecodable request\" remote=\"{}\"", status,
                    LogText.of(req.remoteAddress()));
        }
        refuse(req, status, code, message, true);
    }

    /** Answers an error in the path's shape; {@code close} ends the connection after it (the rest is not read). */
    static void refuse(HttpServerRequest req, int status, String code, String message, boolean close) {
        HttpServerResponse response = req.response();
        if (response.ended() || response.closed()) {
            return;
        }
        String requestId = RequestContextProcessor.requestId(req.getHeader(Headers.REQUEST_ID));
        String path = req.path();
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(Headers.REQUEST_ID, requestId);
        if (close) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
            LingeringClose.install(req.connection());  // the client may still be sending what was refused
            response.endHandler(v -> req.connection().close());
        }
        response.end(ErrorShape.of(path).body(status, code, message, requestId));
    }

    /** A client's broken connection or framing: one WARN line, no stack trace (the client's fault, not ours). */
    static void protocolError(Throwable error) {
        if (error instanceof io.netty.handler.codec.PrematureChannelClosureException) {
            // a connection closed before its headers ended: ConnectionGuard's header timeout, or a client giving up
            LOG.debug("event=connection_closed_before_request reason=\"{}\"", LogText.of(error.getMessage()));
            return;
        }
        LOG.warn("event=client_protocol_error reason=\"{}: {}\"", error.getClass().getSimpleName(),
                LogText.of(error.getMessage()));
    }
}
