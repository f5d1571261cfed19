package dev.llmpool.providers;

import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Resets one backend call's connection, but only while that call's response is still on its way.
 *
 * <p>Why not {@code HttpClientRequest.reset()} alone: Vert.x 4.5 closes an HTTP/1.1 connection whenever one of its
 * calls is reset, even a call whose response has already ended. The web client reads a response paused, so the
 * connection can be back in the pool, carrying the next call, before the web client has seen the end; a reset then
 * closes the connection under that next call, which fails with "connection closed without a response" (what made
 * an earlier attempt at cancelling losers go back: 135 such failures in 40 s of VOTING at 64 in flight).
 *
 * <p>The end of a response is seen first on its connection's event loop, so the check is made there: a Netty
 * handler counts the responses that ended on the connection, the call notes the count when it is sent (one call at
 * a time per connection: no pipelining), and the reset happens only if the count has not moved since.
 */
public final class ConnectionReset {

    private static final String HANDLER = "llmpool-response-ends";
    /** How long a reply already on its way gets to land before an abandoned call is cut. */
    static final long LANDING_MS = 15;

    private final HttpClientRequest wire;
    private final Channel channel;
    private final ResponseEnds ends;
    private final long endsWhenSent;

    private ConnectionReset(HttpClientRequest wire, Channel channel, ResponseEnds ends) {
        this.wire = wire;
        this.channel = channel;
        this.ends = ends;
        this.endsWhenSent = ends == null ? 0 : ends.count;
    }

    /** Made as the call is sent (before its request is written, so before any of its response is read). */
    public static ConnectionReset of(HttpClientRequest wire) {
        // A failure while the request is written also fails its response, which is where the caller learns of it;
        // without a handler Vert.x would log it as an ERROR too (our own reset, when it comes that early)
        wire.exceptionHandler(failure -> { });
        if (!(wire.connection() instanceof ConnectionBase connection)
                || !(connection.channel().pipeline().get("codec") instanceof HttpClientCodec)) {
            return new ConnectionReset(wire, null, null); // not HTTP/1.1: a reset ends one stream, never another call
        }
        Channel channel = connection.channel();
        ResponseEnds ends = (ResponseEnds) channel.pipeline().get(HANDLER);
        if (ends == null) {
            // A connection's first call: the handler goes in on the event loop before the request is written there
            // (tasks run in the order they were queued), so it sees this call's response from its first byte.
            ResponseEnds fresh = new ResponseEnds();
            onLoop(channel, () -> {
                if (channel.pipeline().get(HANDLER) == null && channel.pipeline().get("handler") != null) {
                    channel.pipeline().addBefore("handler", HANDLER, fresh);
                }
            });
            ends = fresh;
        }
        return new ConnectionReset(wire, channel, ends);
    }

    /**
     * Resets the call a moment from now ({@value #LANDING_MS} ms), unless its response has ended by then: for a call its
     * sender no longer needs, whose reply may already be on its way. A reply that lands in time counts for the
     * provider as it is (a fast "HTTP 500" stays that, not a "timed out" of ours); a call still generating is cut.
     */
    public void resetSoon(Throwable cause) {
        if (channel == null) {
            wire.reset(0, cause);
            return;
        }
        channel.eventLoop().schedule(() -> reset(cause), LANDING_MS, TimeUnit.MILLISECONDS);
    }

    /** Resets the call with {@code cause} as its failure, unless its response has ended meanwhile. */
    public void reset(Throwable cause) {
        if (channel == null) {
            wire.reset(0, cause);
            return;
        }
        onLoop(channel, () -> {
            if (ends.count == endsWhenSent) {
                wire.reset(0, cause);
            }
        });
    }

    private static void onLoop(Channel channel, Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }

    /** Counts the responses that ended on one connection; written on its event loop only. */
    private static final class ResponseEnds extends ChannelInboundHandlerAdapter {
        volatile long count;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof LastHttpContent) {
                count++;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
