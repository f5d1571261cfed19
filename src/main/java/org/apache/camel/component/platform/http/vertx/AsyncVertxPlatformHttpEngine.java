package org.apache.camel.component.platform.http.vertx;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
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
     * Serves platform-http's port from {@code loops} event loops instead of one, straight into its router. The
     * consumer runs each request's route on the event loop of its connection, and platform-http starts a single
     * server, so one core would do all the routing. This starts {@code loops} servers on the same port with the
     * router that holds the routes; Vert.x shares the accepted connections among the servers of one port in turn,
     * each server on its own event loop (how Vert.x scales a server over cores). They are made one after the other
     * as instances of one verticle, so each gets a context on the next of Vert.x's event loops (2 per core by
     * default): distinct ones.
     *
     * <p>Then platform-http's own server is closed (the port stays bound by the others): its handler is an outer
     * router whose one route, {@code /*}, passes every request to that same router, a second routing pass that was
     * about a sixth of a cache hit's samples in JFR. That outer router holds nothing else unless platform-http's
     * authentication is on ({@code camel.server.authenticationEnabled}); then it is kept. Closing it a second time
     * when Camel stops completes at once. Ours are undeployed with the context.
     */
    public static void serveOnEventLoops(CamelContext camel, int port, int loops) throws Exception {
        VertxPlatformHttpRouter router = camel.getRegistry().lookupByNameAndType(
                VertxPlatformHttpRouter.getRouterNameFromPort(port), VertxPlatformHttpRouter.class);
        boolean outerRouterNeeded = camel.getPropertiesComponent()
                .resolveProperty("camel.server.authenticationEnabled").map(Boolean::parseBoolean).orElse(false);
        int ours = outerRouterNeeded ? loops - 1 : loops;
        if (router == null || ours <= 0) {
            return;
        }
        VertxPlatformHttpServer main = router.getServer();
        // one verticle instance per server: each instance gets a context of its own on the next event loop
        // (servers made from one plain thread would share that thread's one context, so one loop)
        String deployment = router.vertx().deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start(Promise<Void> started) {
                vertx.createHttpServer(new HttpServerOptions()).requestHandler(router)
                        .listen(main.getPort(), main.getHost()).<Void> mapEmpty().onComplete(started);
            }
        }, new DeploymentOptions().setInstances(ours)).toCompletionStage().toCompletableFuture().join();
        if (!outerRouterNeeded) {
            main.getServer().close().toCompletionStage().toCompletableFuture().join();
        }
        camel.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                router.vertx().undeploy(deployment);
            }
        });
    }
}
