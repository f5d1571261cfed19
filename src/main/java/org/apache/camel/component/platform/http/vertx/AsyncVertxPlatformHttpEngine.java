package org.apache.camel.component.platform.http.vertx;

import java.util.ArrayList;
import java.util.List;

import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.support.service.ServiceSupport;

/**
 * LLM Pool: the Vert.x platform-http engine, making {@link AsyncVertxPlatformHttpConsumer}s. Bound in the
 * registry as {@code platform-http-engine} (PoolBeans), where platform-http looks for its engine first.
 */
public class AsyncVertxPlatformHttpEngine extends VertxPlatformHttpEngine {

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new AsyncVertxPlatformHttpConsumer(endpoint, processor, getHandlers(),
                VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
    }

    /**
     * Serves platform-http's port from {@code loops} event loops instead of one. The consumer runs each request's
     * route on the event loop of its connection, and platform-http starts a single server, so one core would do all
     * the routing. This adds {@code loops - 1} servers on the same port with the same router; Vert.x shares the
     * accepted connections among the servers of one port in turn, each server on its own event loop (how Vert.x
     * scales a server over cores). They are made one after the other at start-up, so each gets the next of
     * Vert.x's event loops (2 per core by default): distinct ones. Closed with the context.
     */
    public static void serveOnEventLoops(CamelContext camel, int port, int loops) throws Exception {
        VertxPlatformHttpRouter router = camel.getRegistry().lookupByNameAndType(
                VertxPlatformHttpRouter.getRouterNameFromPort(port), VertxPlatformHttpRouter.class);
        if (router == null || loops <= 1) {
            return;
        }
        VertxPlatformHttpServer main = router.getServer();
        List<HttpServer> extra = new ArrayList<>();
        for (int i = 1; i < loops; i++) {
            extra.add(router.vertx().createHttpServer(new HttpServerOptions()).requestHandler(router)
                    .listen(main.getPort(), main.getHost()).toCompletionStage().toCompletableFuture().join());
        }
        camel.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                extra.forEach(HttpServer::close);
            }
        });
    }
}
