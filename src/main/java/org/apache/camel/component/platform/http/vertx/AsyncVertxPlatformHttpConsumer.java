package org.apache.camel.component.platform.http.vertx;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.spi.HeaderFilterStrategy;

import dev.llmpool.api.RepeatFront;
import dev.llmpool.api.CallerLink;
import dev.llmpool.cache.ExactRepeats;

/**
 * LLM Pool: platform-http's Vert.x consumer that runs the route on the event loop.
 *
 * <p>Camel 4.17's consumer runs every request on a Vert.x worker thread that blocks until the route completes,
 * so each request in flight holds a thread (2,000 slow requests = 2,000 threads) and every request pays two
 * hand-offs between threads. The routes behind this consumer never block (see routes/infer.camel.yaml): so this
 * one runs the route with Camel's asynchronous routing engine right on the event loop that read the request, and
 * writes the response on that event loop when the route's callback says it is done: at once for a cache hit, or
 * after a hop back from the thread that completed it (the event loop that got a backend call's answer). It sits in Camel's package only to reuse
 * its package-private request mapping and response writer; the text replies every route makes are written here in
 * one piece, with the same header filter (writtenAsText). On the infer path it first lets {@link ExactRepeats}
 * answer a byte-for-byte repeat of a cached request, which then needs no exchange.
 */
public class AsyncVertxPlatformHttpConsumer extends VertxPlatformHttpConsumer {

    /** Answers exact repeats of cached requests before the route, on the infer path only; null otherwise. */
    private ExactRepeats repeats;

    public AsyncVertxPlatformHttpConsumer(PlatformHttpEndpoint endpoint, Processor processor,
                                          List<Handler<RoutingContext>> handlers, String routerName) {
        super(endpoint, processor, handlers, routerName);
    }

    @Override
    protected void doStart() throws Exception {
        ExactRepeats found = getEndpoint().getCamelContext().getRegistry()
                .lookupByNameAndType("exactRepeats", ExactRepeats.class);
        repeats = found != null && found.serves(getEndpoint().getPath()) ? found : null;
        super.doStart();
    }

    @Override
    protected void handleRequest(RoutingContext ctx) {
        if (isSuspended() || getEndpoint().isHttpProxy()) {
            super.handleRequest(ctx);
            return;
        }
        // Before the form checks, which parse the Content-Type: a repeat has the JSON one its first request had.
        if (repeats != null && answeredAsRepeat(ctx)) {
            return;
        }
        // Form bodies keep Camel's own (blocking) path, which handles them.
        if (VertxPlatformHttpSupport.isFormUrlEncoded(ctx) || VertxPlatformHttpSupport.isMultiPartFormData(ctx)) {
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
            // The body as bytes: what the routes read it as (Camel has no direct converter from Vert.x's Buffer)
            if (exchange.getIn().getBody() instanceof Buffer body) {
                exchange.getIn().setBody(body.getBytes());
                if (repeats != null) {
                    exchange.setProperty(ExactRepeats.RAW, new ExactRepeats.Raw(body, ctx.request().getHeader("Content-Type")));
                }
            }
            // The route runs right here, on the event loop: no step of the request path blocks (waits for a
            // request in flight, the ensemble's fan-out and Redis calls are asynchronous), so a hand-off to a
            // worker thread would only add a thread switch per request. The route finishes on whichever thread
            // completes it (at once for a cache hit; for a call, the event loop of the connection that got the
            // backend's answer); the response is always written on the request's event loop.
            // A caller that hangs up leaves no one to answer: whatever is running for it stops (the race's calls)
            CallerLink caller = new CallerLink();
            exchange.setProperty(CallerLink.PROPERTY, caller);
            ctx.response().closeHandler(closed -> caller.gone());
            try {
                createUoW(exchange);
                getAsyncProcessor().process(exchange, doneSync -> {
                    if (Vertx.currentContext() == eventLoop) {
                        respond(exchange, ctx);
                    } else {
                        eventLoop.runOnContext(v -> respond(exchange, ctx));
                    }
                });
            } catch (Exception e) {
                fail(exchange, ctx, e);
            }
        });
    }

    /**
     * A repeat of a cached request is answered here, without an exchange (ExactRepeats says which are). RepeatFront
     * answers most of them before the router; this is for those it does not read ahead (chunked, Expect:
     * 100-continue) and for platform-http's own server, kept when its authentication is on. A request RepeatFront
     * read and found new is looked up once more here: a hash of its body and a map read, kept for simplicity.
     */
    private boolean answeredAsRepeat(RoutingContext ctx) {
        long started = System.nanoTime();
        HttpServerRequest req = ctx.request();
        if (req.method() != HttpMethod.POST || req.getHeader("Idempotency-Key") != null
                || req.getHeader("Cache-Control") != null || ctx.body().buffer() == null) {
            return false;
        }
        return RepeatFront.answer(repeats, req, ctx.body().buffer(), started);
    }

    private void respond(Exchange exchange, RoutingContext ctx) {
        // The exchange's completion steps run before the caller can see the answer: a failed request frees its
        // Idempotency-Key and its place among identical requests in flight there, and a caller retrying at once
        // must not find them still held.
        doneUoW(exchange);
        if (ctx.response().closed()) {  // the caller has gone: nothing to write to
            releaseExchange(exchange, false);
            return;
        }
        if (writtenAsText(exchange, ctx)) {
            releaseExchange(exchange, false);
            return;
        }
        VertxPlatformHttpSupport.writeResponse(ctx, exchange, getEndpoint().getHeaderFilterStrategy(),
                getEndpoint().isMuteException()).onComplete(written -> {
                    if (written.failed()) {
                        getExceptionHandler().handleException("Failed writing the response of platform-http endpoint "
                                + getEndpoint().getPath(), written.cause());
                        ctx.fail(written.cause());
                    }
                    releaseExchange(exchange, false);
                });
    }

    /**
     * The reply every route here makes (a text body, its status and headers set by HttpReply), written the way
     * Camel's writer would write it (the same header filter) but in one piece with its Content-Length: Camel's
     * writer sends a text body chunked, and goes through its type converters for each header. Anything else (an
     * exception left on the exchange, another kind of body) is Camel's to write.
     */
    private boolean writtenAsText(Exchange exchange, RoutingContext ctx) {
        Message message = exchange.getMessage();
        if (exchange.getException() != null || !(message.getBody() instanceof String text) || ctx.response().ended()) {
            return false;
        }
        HttpServerResponse response = ctx.response();
        response.setStatusCode(message.getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class));
        HeaderFilterStrategy filter = getEndpoint().getHeaderFilterStrategy();
        message.getHeaders().forEach((name, value) -> {
            if (value == null || (filter != null && filter.applyFilterToCamelHeaders(name, value, exchange))) {
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
        response.end(Buffer.buffer(text.getBytes(StandardCharsets.UTF_8)));
        return true;
    }

    private void fail(Exchange exchange, RoutingContext ctx, Throwable failure) {
        getExceptionHandler().handleException("Failed handling platform-http endpoint " + getEndpoint().getPath(),
                failure);
        ctx.fail(failure);
        doneUoW(exchange);
        releaseExchange(exchange, false);
    }
}
