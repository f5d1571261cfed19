package dev.llmpool.api;

import java.util.concurrent.TimeUnit;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Closes a connection whose request was refused before it was read whole (a body over the limit, headers over the
 * limit) the way nginx's lingering close does: the answer is sent, then only the sending side is shut (FIN), and what
 * the client still sends is read and dropped until it closes its side or {@link #LINGER_MS} pass. Closing at once
 * with unread bytes makes the kernel answer with a reset, and a reset can reach the client before it reads the
 * answer: it then sees its connection fail instead of the 413 or 431 (JDK's HttpClient: "header parser received no
 * bytes").
 * <p>
 * Installed first in the connection's pipeline only when such a request is refused, so other connections pay
 * nothing; from then on it drops every inbound byte and turns the server's close into the lingering one.
 */
final class LingeringClose extends ChannelDuplexHandler {

    /** Longest wait for a client to finish sending what will be dropped; long enough for a slow upload's tail. */
    static final long LINGER_MS = 5_000;

    private boolean closing;

    /** Makes the connection's next close a lingering one; a connection without a plain TCP channel just closes. */
    static void install(HttpConnection connection) {
        if (connection instanceof ConnectionBase base && base.channel() instanceof DuplexChannel channel
                && channel.pipeline().get(LingeringClose.class) == null) {
            channel.pipeline().addFirst(new LingeringClose());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);  // the rest of a refused request: nobody reads it
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        Channel channel = ctx.channel();
        channel.closeFuture().addListener(f -> promise.trySuccess());
        if (closing) {
            return;
        }
        closing = true;
        channel.config().setAutoRead(true);  // Vert.x may have paused reading; the client's bytes must drain
        var deadline = ctx.executor().schedule(() -> ctx.close(), LINGER_MS, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(f -> deadline.cancel(false));
        // written after the answer, so the FIN follows it; the close itself comes when the client closes its side
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) written -> {
            if (written.isSuccess()) {
                ((DuplexChannel) channel).shutdownOutput();
            } else {
                ctx.close();
            }
        });
    }
}
