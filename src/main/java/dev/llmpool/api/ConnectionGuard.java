package dev.llmpool.api;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.logging.LogText;

/**
 * Bounds the connections of the HTTP port: at most {@link FrontLimits#maxConnections()} open at once, and a
 * connection that has not sent its first request's headers within {@link FrontLimits#headerTimeoutMs()} is closed
 * (slowloris: Vert.x's idle timeout restarts with every byte, so a client sending one byte every few seconds would
 * hold its connection, and a file descriptor, for ever). A connection over the limit is kept only long enough to
 * tell its first request why (503, see {@link HttpFront}), then closed.
 */
final class ConnectionGuard implements Handler<HttpConnection> {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
    /** An over-the-limit connection's time to send the request its refusal answers. */
    private static final long REFUSED_GRACE_MS = 1000;

    private final Vertx vertx;
    private final FrontLimits limits;
    private final AtomicInteger open = new AtomicInteger();
    /** Per open connection: its header timer (or -1 once a request arrived), and whether it is over the limit. */
    private final Map<HttpConnection, State> states = new ConcurrentHashMap<>();

    private static final class State {
        volatile long timer = -1;
        final boolean refused;

        State(boolean refused) {
            this.refused = refused;
        }
    }

    ConnectionGuard(Vertx vertx, FrontLimits limits) {
        this.vertx = vertx;
        this.limits = limits;
    }

    @Override
    public void handle(HttpConnection connection) {
        boolean refused = open.incrementAndGet() > limits.maxConnections();
        State state = new State(refused);
        states.put(connection, state);
        if (refused) {
            LOG.warn("event=connection_refused reason=max_connections limit={} remote=\"{}\"", limits.maxConnections(),
                    LogText.of(connection.remoteAddress()));
        }
        long timeout = refused ? Math.min(REFUSED_GRACE_MS, limits.headerTimeoutMs()) : limits.headerTimeoutMs();
        if (timeout > 0) {
            state.timer = vertx.setTimer(timeout, id -> {
                if (states.get(connection) == state && state.timer == id) {
                    LOG.debug("event=connection_closed reason=no_request_in_time remote=\"{}\"",
                            LogText.of(connection.remoteAddress()));
                    connection.close();
                }
            });
        }
    }

    /**
     * A request's headers arrived on the connection: its header timer stops. Returns false when the connection is
     * over the limit (the caller answers 503 and closes it).
     */
    boolean admit(HttpConnection connection) {
        State state = connection == null ? null : states.get(connection);
        if (state == null) {
            return true;  // HTTP/2 streams and connections opened before the guard: nothing to bound here
        }
        if (state.timer >= 0) {
            vertx.cancelTimer(state.timer);
            state.timer = -1;
        }
        return !state.refused;
    }

    /** The connection closed (HttpFront's one close handler: Vert.x keeps only the last one set). */
    void closed(HttpConnection connection) {
        open.decrementAndGet();
        State s = states.remove(connection);
        if (s != null && s.timer >= 0) {
            vertx.cancelTimer(s.timer);
        }
    }

    int open() {
        return open.get();
    }
}
