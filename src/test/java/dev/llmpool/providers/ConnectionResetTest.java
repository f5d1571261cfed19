package dev.llmpool.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.fixture.FakeBackend;

/**
 * The Vert.x reset race, on one keep-alive connection (a pool of one): a loser's reset that comes after its
 * response has ended, once the connection carries the next call. Plain {@code HttpClientRequest.reset()} closes the
 * connection under that next call (Vert.x 4.5 closes a connection whenever one of its calls is reset); a
 * {@link ConnectionReset} sees the response has ended and leaves the connection alone, while it still ends a call
 * whose answer is on its way.
 */
class ConnectionResetTest {

    private static final FakeBackend BACKEND = FakeBackend.start();
    private static final String MODEL = "phi3:mini";
    private static final String BODY = "{\"model\":\"phi3:mini\",\"stream\":false,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";

    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(1));

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        BACKEND.resetAll();
    }

    @AfterAll
    static void stopBackend() {
        BACKEND.stop();
    }

    /** Sends one chat call; {@code sent} sees the request (and its ConnectionReset) before it is written. */
    private CompletableFuture<Integer> call(BiConsumer<HttpClientRequest, ConnectionReset> sent) {
        CompletableFuture<Integer> status = new CompletableFuture<>();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                .setAbsoluteURI(BACKEND.url() + "/api/chat").putHeader("Content-Type", "application/json");
        client.request(options).compose(request -> {
            sent.accept(request, ConnectionReset.of(request));
            return request.send(Buffer.buffer(BODY)).compose(r -> r.body().map(b -> r.statusCode()));
        }).onComplete(result -> {
            if (result.succeeded()) {
                status.complete(result.result());
            } else {
                status.completeExceptionally(result.cause());
            }
        });
        return status;
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aPlainResetAfterTheAnswerClosesTheConnectionUnderTheNextCall() throws Exception {
        BACKEND.model(MODEL).answer("first");
        CompletableFuture<HttpClientRequest> first = new CompletableFuture<>();
        assertEquals(200, await(call((request, reset) -> first.complete(request))));
        BACKEND.model(MODEL).latency(Duration.ofMillis(500));
        var arrived = BACKEND.onCall(MODEL);
        CompletableFuture<Integer> next = call((request, reset) -> { });
        assertTrue(arrived.await(5, TimeUnit.SECONDS));
        await(first).reset(0, new CancelledCallException()); // the loser's late reset: Vert.x's own
        Exception failed = null;
        try {
            await(next);
        } catch (Exception e) {
            failed = e;
        }
        assertTrue(failed != null, "the next call lost its connection: the race this class guards against");
    }

    @Test
    void aConnectionResetAfterTheAnswerLeavesTheNextCallAlone() throws Exception {
        BACKEND.model(MODEL).answer("first");
        CompletableFuture<ConnectionReset> first = new CompletableFuture<>();
        assertEquals(200, await(call((request, reset) -> first.complete(reset))));
        BACKEND.model(MODEL).latency(Duration.ofMillis(500));
        var arrived = BACKEND.onCall(MODEL);
        CompletableFuture<Integer> next = call((request, reset) -> { });
        assertTrue(arrived.await(5, TimeUnit.SECONDS));
        await(first).reset(new CancelledCallException()); // the same late reset, guarded
        assertEquals(200, await(next), "the next call kept its connection");
        assertEquals(0, BACKEND.aborted(MODEL));
    }

    @Test
    void aConnectionResetEndsACallWhoseAnswerIsOnItsWay() throws Exception {
        BACKEND.model(MODEL).latency(Duration.ofSeconds(10));
        CompletableFuture<ConnectionReset> resets = new CompletableFuture<>();
        var arrived = BACKEND.onCall(MODEL);
        CompletableFuture<Integer> call = call((request, reset) -> resets.complete(reset));
        assertTrue(arrived.await(5, TimeUnit.SECONDS));
        await(resets).reset(new CancelledCallException());
        Exception failed = null;
        try {
            await(call);
        } catch (Exception e) {
            failed = e;
        }
        assertTrue(failed != null, "the call was reset");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (BACKEND.aborted(MODEL) == 0 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(1, BACKEND.aborted(MODEL), "the backend saw its client go while it was generating");
        // and the pool of one still serves
        BACKEND.model(MODEL).reset();
        assertEquals(200, await(call((request, reset) -> { })));
    }
}
