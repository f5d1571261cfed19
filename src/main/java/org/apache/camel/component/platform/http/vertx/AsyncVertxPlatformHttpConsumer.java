package org.apache.camel.component.platform.http.vertx;

import java.util.List;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;

/**
 * LLM Pool: platform-http's Vert.x consumer without a blocked worker thread per request.
 *
 * <p>Camel 4.17's consumer runs every request on a Vert.x worker thread that blocks until the route completes,
 * so each request in flight holds a thread (2,000 slow requests = 2,000 threads, created at a few hundred per
 * second on a loaded 2-core machine) and every request pays an extra wake-up of its parked worker. This one
 * starts the route on a worker with Camel's asynchronous routing engine and lets the worker go as soon as the
 * route goes asynchronous (the ensemble's fan-out); the response is written on the event loop when the route's
 * callback says it is done. It sits in Camel's package only to reuse its package-private response writer, so
 * responses are written exactly as Camel writes them.
 */
public class AsyncVertxPlatformHttpConsumer extends VertxPlatformHttpConsumer {

    public AsyncVertxPlatformHttpConsumer(PlatformHttpEndpoint endpoint, Processor processor,
                                          List<Handler<RoutingContext>> handlers, String routerName) {
        super(endpoint, processor, handlers, routerName);
    }

    @Override
    protected void handleRequest(RoutingContext ctx) {
        // Proxies and form bodies keep Camel's own (blocking) path, which handles them.
        if (isSuspended() || getEndpoint().isHttpProxy()
                || VertxPlatformHttpSupport.isFormUrlEncoded(ctx) || VertxPlatformHttpSupport.isMultiPartFormData(ctx)) {
            super.handleRequest(ctx);
            return;
        }
        Context eventLoop = Vertx.currentContext();
        Exchange exchange = createExchange(false);
        exchange.setPattern(ExchangePattern.InOut);
        processHttpRequest(exchange, ctx).onComplete(read -> {
            if (read.failed()) {
                fail(exchange, ctx, read.cause());
                return;
            }
            // The route's synchronous steps run on a worker (both cores work, and a step that blocks cannot stall
            // the single event loop); the worker is free again as soon as the route goes asynchronous.
            ctx.vertx().executeBlocking(() -> {
                createUoW(exchange);
                getAsyncProcessor().process(exchange, doneSync -> eventLoop.runOnContext(v -> respond(exchange, ctx)));
                return null;
            }, false).onFailure(e -> fail(exchange, ctx, e));
        });
    }

    private void respond(Exchange exchange, RoutingContext ctx) {
        VertxPlatformHttpSupport.writeResponse(ctx, exchange, getEndpoint().getHeaderFilterStrategy(),
                getEndpoint().isMuteException()).onComplete(written -> {
                    if (written.failed()) {
                        fail(exchange, ctx, written.cause());
                    } else {
                        doneUoW(exchange);
                        releaseExchange(exchange, false);
                    }
                });
    }

    private void fail(Exchange exchange, RoutingContext ctx, Throwable failure) {
        getExceptionHandler().handleException("Failed handling platform-http endpoint " + getEndpoint().getPath(),
                failure);
        ctx.fail(failure);
        doneUoW(exchange);
        releaseExchange(exchange, false);
    }
}
