package dev.llmpool.lifecycle;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Lets the HTTP port stop taking work without cutting the requests it is answering. Vert.x 4's only way to stop a
 * server, {@code close()}, closes its connections too, answers in flight included; so until the servers close, this
 * gate sits in front of them: once {@link #stopAccepting()} is called, a new connection is closed as soon as it is
 * accepted (the caller's request fails before it is read: safe to send elsewhere), a request arriving on an open
 * keep-alive connection is answered with {@code Connection: close}, and each connection is closed as soon as it has
 * no request left to answer. Installed on the pool's HTTP servers by {@link dev.llmpool.api.HttpFront}.
 */
public class ConnectionDrain {

    /** How often, while draining, connections whose last answer has gone out are looked for. */
    private static final long SWEEP_MS = 25;

    /** A connection's event loop and the request it is answering (HTTP/1.1 answers one at a time). */
    private static final class Open {
        final Context context;
        volatile HttpServerRequest current;

        Open(Context context) {
            this.context = context;
        }

        boolean idle() {
            HttpServerRequest r = current;
            return r == null || r.response().ended() || r.response().closed();
        }
    }

    private final Map<HttpConnection, Open> open = new ConcurrentHashMap<>();
    private volatile boolean draining;

    /** A new connection (from the servers' connection handler, on its event loop). */
    public void accept(HttpConnection connection) {
        if (draining) {
            connection.close();
            return;
        }
        open.put(connection, new Open(Vertx.currentContext()));
    }

    /** The connection closed (HttpFront's one close handler: Vert.x keeps only the last one set). */
    public void closed(HttpConnection connection) {
        open.remove(connection);
    }

    /** Wraps the servers' request handler: notes each connection's current request. */
    public Handler<HttpServerRequest> wrap(Handler<HttpServerRequest> next) {
        return request -> {
            Open o = open.get(request.connection());
            if (o != null) {
                o.current = request;
            }
            if (draining) {
                request.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            }
            next.handle(request);
        };
    }

    /** From now on no new connection is served, and connections close once their answers are out. */
    public void stopAccepting(Vertx vertx) {
        draining = true;
        sweep();
        vertx.setPeriodic(SWEEP_MS, id -> sweep());
    }

    public boolean isDraining() {
        return draining;
    }

    /** Connections still open (answering, or idle until the next sweep). */
    public int openConnections() {
        return open.size();
    }

    /** Closes idle connections; the check runs on each connection's own event loop, where its requests arrive. */
    private void sweep() {
        open.forEach((connection, o) -> o.context.runOnContext(v -> {
            if (o.idle()) {
                connection.close();
            }
        }));
    }
}
