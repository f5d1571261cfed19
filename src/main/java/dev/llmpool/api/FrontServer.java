package dev.llmpool.api;

import io.vertx.core.Vertx;

import dev.llmpool.lifecycle.ConnectionDrain;

/**
 * The HTTP port's front and where it listens (issues 7, 13, 23). It starts serving once the routes are loaded
 * (PoolBeans' start-up), on one event loop per core unless {@code pool.http.event-loops} says otherwise, so that
 * routing uses every core.
 */
public record FrontServer(HttpFront front, String host, int port, int eventLoops, FrontLimits limits) {

    public void serve(Vertx vertx, ConnectionDrain drain) {
        front.serve(vertx, host, port, eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors(), limits,
                drain);
    }
}
