package dev.llmpool.streaming;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.llmpool.ensemble.FailureReasons;
import dev.llmpool.providers.ProviderCall;
import dev.llmpool.providers.ProviderException;
import dev.llmpool.providers.ProviderReply;
import dev.llmpool.resilience.ProviderGuards;

/**
 * One streaming chat call to one backend, read line by line as the model generates.
 *
 * <p>Why the JDK's HttpClient and not camel-http: camel-http (Apache HttpClient 5, classic) hands over the body
 * as a blocking InputStream whose close() reads the rest of the body so the connection can be reused, and Camel
 * offers no way to abort that request from another thread; a cancelled stream would keep the model generating
 * to its end. The JDK client's line subscriber pushes each line as it arrives, and cancelling it (or the
 * response future) closes the connection, which stops the generation in Ollama.
 */
final class BackendStream implements Flow.Subscriber<String> {

    /** What the race learns from a stream; calls for one stream never overlap. */
    interface Listener {
        void onToken(BackendStream stream, String text);

        void onDone(BackendStream stream, ProviderReply reply);

        void onFailure(BackendStream stream, String reason);
    }

    private final ProviderCall call;
    private final StreamDecoder decoder;
    private final ObjectMapper mapper;
    private final Listener listener;
    private final ProviderGuards.Permit permit;
    private final StringBuilder content = new StringBuilder();
    private final long startedNanos = System.nanoTime();

    private volatile Flow.Subscription subscription;
    private volatile CompletableFuture<?> response;
    private volatile boolean cancelled;
    private boolean ended; // guarded by this
    private long promptTokens;
    private long completionTokens;

    BackendStream(ProviderCall call, ObjectMapper mapper, Listener listener, ProviderGuards.Permit permit) {
        this.call = call;
        this.decoder = StreamDecoder.of(call.provider().kind());
        this.mapper = mapper;
        this.listener = listener;
        this.permit = permit;
    }

    String provider() {
        return call.provider().name();
    }

    String model() {
        return call.provider().model();
    }

    long elapsedMillis() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    void start(HttpClient http) {
        byte[] body;
        try {
            body = mapper.writeValueAsBytes(decoder.request(mapper, call));
        } catch (java.io.IOException e) {
            fail("cannot encode the request: " + e.getMessage());
            return;
        }
        // Only the time to the response headers; the race's deadline timer bounds the whole stream.
        HttpRequest request = HttpRequest.newBuilder(URI.create(call.provider().url() + decoder.path(call.provider())))
                .timeout(Duration.ofMillis(Math.max(1, call.remainingMillis())))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            CompletableFuture<?> sent = http.sendAsync(request, this::bodyFor);
            response = sent; // the future to cancel: a dependent stage's cancel would not reach the exchange
            sent.whenComplete((r, error) -> {
                if (error != null) {
                    fail(FailureReasons.describe(error));
                }
            });
        } catch (RuntimeException e) { // the client's executor rejected the call
            fail(FailureReasons.describe(e));
        }
        if (cancelled) {
            cancel();
        }
    }

    private HttpResponse.BodySubscriber<?> bodyFor(HttpResponse.ResponseInfo info) {
        if (info.statusCode() / 100 == 2) {
            return HttpResponse.BodySubscribers.fromLineSubscriber(this, s -> null, StandardCharsets.UTF_8, null);
        }
        return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8), text -> {
            fail("HTTP " + info.statusCode() + errorMessage(text));
            return null;
        });
    }

    /** Stops the call and closes its connection; nothing is reported to the listener afterwards. */
    void cancel() {
        synchronized (this) {
            cancelled = true;
        }
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
        CompletableFuture<?> r = response;
        if (r != null) {
            r.cancel(true);
        }
        permit.release();
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (cancelled) {
            s.cancel();
        } else {
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    public void onNext(String line) {
        if (isOver()) {
            return;
        }
        StreamEvent event;
        try {
            event = decoder.decode(mapper, line);
        } catch (java.io.IOException | RuntimeException e) {
            fail("invalid stream line: " + snippet(line));
            return;
        }
        if (event instanceof StreamEvent.Token t) {
            content.append(t.text());
            if (!t.text().isEmpty()) {
                listener.onToken(this, t.text());
            }
        } else if (event instanceof StreamEvent.Usage u) {
            promptTokens = u.promptTokens();
            completionTokens = u.completionTokens();
        } else if (event instanceof StreamEvent.Done d) {
            succeed(d);
        } else if (event instanceof StreamEvent.Failed f) {
            fail("error in a 200 stream: " + f.message());
        }
    }

    private synchronized boolean isOver() {
        return ended || cancelled;
    }

    @Override
    public void onError(Throwable error) {
        fail(FailureReasons.describe(error));
    }

    @Override
    public void onComplete() {
        fail("stream ended without its final message");
    }

    private void succeed(StreamEvent.Done d) {
        if (!end()) {
            return;
        }
        if (d.promptTokens() >= 0) {
            promptTokens = d.promptTokens();
            completionTokens = d.completionTokens();
        }
        permit.succeeded();
        listener.onDone(this, new ProviderReply(provider(), d.model() != null ? d.model() : model(), content.toString(),
                promptTokens, completionTokens, elapsedMillis()));
    }

    private void fail(String reason) {
        if (!end()) {
            return;
        }
        permit.failed(new ProviderException(0, reason));
        listener.onFailure(this, reason);
    }

    /** True for the one caller that ends the stream (the subscriber and the response future may both try). */
    private synchronized boolean end() {
        if (ended || cancelled) {
            return false;
        }
        ended = true;
        return true;
    }

    private String errorMessage(String body) {
        try {
            var n = mapper.readTree(body);
            var e = n == null ? null : n.get("error");
            if (e != null) {
                return ": " + (e.isTextual() ? e.asText() : e.path("message").asText(""));
            }
        } catch (java.io.IOException | RuntimeException ignored) {
            // not JSON: the text itself says it best
        }
        return body.isBlank() ? "" : ": " + snippet(body);
    }

    private static String snippet(String s) {
        String t = s.strip().replaceAll("\\s+", " ");
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }
}
