package org.apache.camel.component.platform.http.vertx;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerOptions;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.support.service.ServiceSupport;

import dev.llmpool.api.RepeatFront;
import dev.llmpool.cache.ExactRepeats;
import dev.llmpool.lifecycle.ConnectionDrain;

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
     * Serves platform-http's port from {@code loops} event loops instead of one, straight into its router. The
     * consumer runs each request's route on the event loop of its connection, and platform-http starts a single
     * server, so one core would do all the routing. This starts {@code loops} servers on the same port, each on an
     * event loop of its own (instances of one verticle: servers made from one plain thread would share its one
     * context, so one loop); Vert.x shares the accepted connections among the servers of one port in turn (how
     * Vert.x scales a server over cores). Their handler is {@link RepeatFront} when exact repeats are on, then the
     * router that holds the routes.
     *
     * <p>Then platform-http's own server is closed (the port stays bound by ours): its handler is an outer router
     * whose one route, {@code /*}, passes every request to that same router, a second routing pass that was about a
     * sixth of a cache hit's samples in JFR. That outer router holds nothing else unless platform-http's
     * authentication is on ({@code camel.server.authenticationEnabled}): then all of this is skipped and its one
     * server serves the port, since ours would bypass its authentication. Closing it a second time when Camel stops
     * completes at once; ours are undeployed with the context.
     */
    public static void serveOnEventLoops(CamelContext camel, int port, int loops) throws Exception {
        VertxPlatformHttpRouter router = camel.getRegistry().lookupByNameAndType(
                VertxPlatformHttpRouter.getRouterNameFromPort(port), VertxPlatformHttpRouter.class);
        boolean authentication = camel.getPropertiesComponent()
                .resolveProperty("camel.server.authenticationEnabled").map(Boolean::parseBoolean).orElse(false);
        if (router == null || authentication || loops < 1) {
            return;
        }
        ExactRepeats repeats = camel.getRegistry().lookupByNameAndType("exactRepeats", ExactRepeats.class);
        Handler<HttpServerRequest> front = repeats != null ? new RepeatFront(router, repeats) : router;
        // graceful shutdown: the drain refuses new connections and closes each once answered (lifecycle.ConnectionDrain)
        ConnectionDrain drain = camel.getRegistry().lookupByNameAndType("connectionDrain", ConnectionDrain.class);
        Handler<HttpServerRequest> handler = drain != null ? drain.wrap(front) : front;
        VertxPlatformHttpServer main = router.getServer();
        String deployment = router.vertx().deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start(Promise<Void> started) {
                var server = vertx.createHttpServer(new HttpServerOptions());
                if (drain != null) {
                    server.connectionHandler(drain::accept);
                }
                server.requestHandler(handler).listen(main.getPort(), main.getHost()).<Void> mapEmpty().onComplete(started);
            }
        }, new DeploymentOptions().setInstances(loops)).toCompletionStage().toCompletableFuture().join();
        main.getServer().close().toCompletionStage().toCompletableFuture().join();
        camel.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                router.vertx().undeploy(deployment);
            }
        });
    }
}
