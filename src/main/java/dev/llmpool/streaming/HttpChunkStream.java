package dev.llmpool.streaming;

import dev.llmpool.api.RequestState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * A streamed HTTP answer (SSE or NDJSON) written straight to the Vert.x response, chunk by chunk as the core
 * route's {@link ChunkSink}: platform-http 4.17 would buffer a streamed body (CAMEL-23804), and a chunk must reach
 * the caller while the model is still generating. The status line and headers go out with the first write; until
 * then the door can still answer with a plain JSON error. When the caller's connection closes before the end, the
 * cancel actions run (the core then ends its backend calls).
 *
 * <p>Every write is synchronized: chunks come from the race's threads, the end from the door's reply step.
 */
public final class HttpChunkStream implements ChunkSink {

    /** How one API frames its stream. */
    public interface Framing {
        String contentType();

        /** Written once, before the first chunk (SSE: the role delta); may be empty. */
        String head();

        String chunk(String content);
    }

    private final HttpServerResponse response;
    private final Framing framing;
    private final String requestId;
    private final List<Runnable> cancels = new ArrayList<>();
    private boolean started;
    private boolean ended;
    private boolean gone;

    private HttpChunkStream(HttpServerResponse response, Framing framing, String requestId) {
        this.response = response;
        this.framing = framing;
        this.requestId = requestId;
        response.closeHandler(v -> callerGone());
    }

    /**
     * A stream onto the exchange's HTTP response (platform-http-vertx's {@link HttpMessage}), put on the exchange
     * as the request's chunk sink and HTTP stream ({@link RequestState}); null when the exchange did not come from Vert.x.
     */
    public static HttpChunkStream attach(Exchange exchange, Framing framing, String requestId) {
        if (!(exchange.getIn() instanceof HttpMessage http)) {
            return null;
        }
        HttpChunkStream stream = new HttpChunkStream(http.getResponse(), framing, requestId);
        RequestState state = RequestState.of(exchange);
        state.setHttpStream(stream);
        state.setChunkSink(stream);
        return stream;
    }

    /** How the door frames its chunks (the door's reply step ends the stream in the same shape). */
    public Framing framing() {
        return framing;
    }

    @Override
    public synchronized void chunk(String content) {
        if (!gone && !ended) {
            write(start() + framing.chunk(content));
        }
    }

    @Override
    public void onCancel(Runnable action) {
        boolean now;
        synchronized (this) {
            now = gone;
            if (!now) {
                cancels.add(action);
            }
        }
        if (now) {
            action.run();
        }
    }

    /** Whether anything was sent: after that, an error can only be told in the stream itself. */
    public synchronized boolean started() {
        return started;
    }

    /** Writes the last part of the stream (after the head, if nothing was sent yet) and ends the response. */
    public synchronized void finish(String tail) {
        if (gone || ended) {
            return;
        }
        String head = start();
        ended = true;
        response.end(Buffer.buffer((head + tail).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Sets the status and headers before the first write and returns the framing's head, to go out in that same
     * write (one packet for headers, head and first chunk: the caller's first token is not held behind a second
     * write); afterwards returns "".
     */
    private String start() {
        if (started) {
            return "";
        }
        started = true;
        response.setStatusCode(200).setChunked(true)
                .putHeader("Content-Type", framing.contentType())
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Request-Id", requestId);
        return framing.head();
    }

    private void write(String text) {
        response.write(Buffer.buffer(text.getBytes(StandardCharsets.UTF_8)));
    }

    private void callerGone() {
        List<Runnable> actions;
        synchronized (this) {
            if (ended || gone) {
                return;
            }
            gone = true;
            actions = List.copyOf(cancels);
            cancels.clear();
        }
        actions.forEach(Runnable::run);
    }
}
