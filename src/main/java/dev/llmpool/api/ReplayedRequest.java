package dev.llmpool.api;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.core.http.impl.HttpServerRequestWrapper;

/**
 * A request whose body was already read (by {@link RepeatFront}), handed on as if it had not been: its body is
 * replayed to whoever reads it next, for Vert.x Web's body handler. That handler registers its data and end
 * handlers and resumes the request, and does nothing at all with a request that says it has ended, so this one
 * says it has not until the body has been delivered. Everything else is the real request's.
 */
final class ReplayedRequest extends HttpServerRequestWrapper {

    private final Buffer body;
    private Handler<Buffer> dataHandler;
    private Handler<Void> endHandler;
    private boolean paused;
    private boolean replayed;

    ReplayedRequest(HttpServerRequest request, Buffer body) {
        super((HttpServerRequestInternal) request);
        this.body = body;
    }

    @Override
    public HttpServerRequest handler(Handler<Buffer> handler) {
        dataHandler = handler;
        return this;
    }

    @Override
    public HttpServerRequest endHandler(Handler<Void> handler) {
        endHandler = handler;
        replay();
        return this;
    }

    @Override
    public HttpServerRequest pause() {
        paused = true;
        return this;
    }

    @Override
    public HttpServerRequest resume() {
        paused = false;
        replay();
        return this;
    }

    @Override
    public HttpServerRequest fetch(long amount) {
        return amount > 0 ? resume() : this;
    }

    @Override
    public boolean isEnded() {
        return replayed;
    }

    @Override
    public Future<Buffer> body() {
        replayed = true;
        return Future.succeededFuture(body);
    }

    @Override
    public Future<Void> end() {
        return Future.succeededFuture();
    }

    /** The body, then the end, once: when there is an end handler to tell and the reader is not paused. */
    private void replay() {
        if (replayed || paused || endHandler == null) {
            return;
        }
        replayed = true;
        if (dataHandler != null && body.length() > 0) {
            dataHandler.handle(body);
        }
        endHandler.handle(null);
    }
}
