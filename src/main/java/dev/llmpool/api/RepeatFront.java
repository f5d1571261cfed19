package dev.llmpool.api;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;

import dev.llmpool.cache.ExactRepeats;

/**
 * The HTTP port's first handler: answers exact repeats of cached requests ({@link ExactRepeats}) before Vert.x
 * Web's router, and hands everything else to the router. Routing and the router's body handler were about a fifth
 * of a cache hit's CPU in JFR, for a request that needs neither.
 *
 * <p>Only a request that can be a repeat is read here: a POST to the infer path with a JSON body of at most
 * {@link ExactRepeats#maxBodyBytes()} bytes (by its Content-Length), no Idempotency-Key or Cache-Control (which
 * ExactRepeats never answers) and no Expect (its 100-continue is the body handler's job). When it is not a repeat
 * the router gets it with its body replayed ({@link ReplayedRequest}), so the route sees it as any other. Anything
 * else goes to the router untouched, and with it body limits (413) and everything else the router does.
 */
public final class RepeatFront implements Handler<HttpServerRequest> {

    private final Handler<HttpServerRequest> router;
    private final ExactRepeats repeats;

    public RepeatFront(Handler<HttpServerRequest> router, ExactRepeats repeats) {
        this.router = router;
        this.repeats = repeats;
    }

    @Override
    public void handle(HttpServerRequest req) {
        if (!mayRepeat(req)) {
            router.handle(req);
            return;
        }
        long started = System.nanoTime();
        req.body().onSuccess(body -> {  // a failed read is a connection gone: nothing to answer
            if (!answer(repeats, req, body, started)) {
                router.handle(new ReplayedRequest(req, body));
            }
        });
    }

    private boolean mayRepeat(HttpServerRequest req) {
        if (req.method() != HttpMethod.POST || !repeats.serves(req.path())) {
            return false;
        }
        String type = req.getHeader("Content-Type");
        return type != null && type.startsWith("application/json") && contentLength(req) <= repeats.maxBodyBytes()
                && req.getHeader("Idempotency-Key") == null && req.getHeader("Cache-Control") == null
                && req.getHeader("Expect") == null;
    }

    /** The declared body length; MAX_VALUE when there is none (chunked) or it is not a small number. */
    private static int contentLength(HttpServerRequest req) {
        String length = req.getHeader("Content-Length");
        if (length == null || length.isEmpty() || length.length() > 6) {
            return Integer.MAX_VALUE;
        }
        for (int i = 0; i < length.length(); i++) {
            if (length.charAt(i) < '0' || length.charAt(i) > '9') {
                return Integer.MAX_VALUE;  // the router's body handler deals with it
            }
        }
        return Integer.parseInt(length);
    }

    /** Writes the cached answer if this request repeats one; false if the route must serve it. */
    public static boolean answer(ExactRepeats repeats, HttpServerRequest req, Buffer body, long startedNanos) {
        ExactRepeats.Reply reply = repeats.answer(body, req.getHeader("Content-Type"),
                req.getHeader(Headers.REQUEST_ID), startedNanos);
        if (reply == null) {
            return false;
        }
        req.response().putHeader(Headers.REQUEST_ID, reply.requestId()).putHeader("Content-Type", "application/json")
                .end(reply.body());
        return true;
    }
}
