package dev.llmpool.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The baseline for VOTING's added latency (issue 7: "adds ≤ 1 ms over the slowest provider it waits for"). With
 * three providers that agree, VOTING answers once two of its three parallel calls have answered, so the fair
 * comparison is three parallel direct calls to the same backend and the time until the second answer, not one
 * direct call. wrk cannot measure that, so this client does, at concurrency 1, alternating round by round
 * between one pool request and one triple of direct requests, so that drift on the machine hits both alike.
 *
 * <p>Vert.x's HTTP client on one event loop with keep-alive connections; every request is sent and timed on that
 * event loop (no hand-off between threads), so the client's own cost is small and the same for both sides. A
 * request counts as answered when its whole body has arrived; any status but 200 (or a failure) is an error and
 * its round gives no latency.
 */
final class ParallelProbe implements AutoCloseable {

    /** Latencies in ms of the measured rounds (warm-up discarded). */
    record Result(long warmupRequests, int rounds, long poolErrors, long directErrors, double poolP50, double poolP99,
                  double secondP50, double secondP99, double thirdP50, double thirdP99) {
    }

    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    private final HttpClient client = vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(4));

    // Touched only on the event loop until the run's future completes (which publishes them to the caller).
    private final List<Double> pool = new ArrayList<>();
    private final List<Double> second = new ArrayList<>();
    private final List<Double> third = new ArrayList<>();
    private long warmupRequests;
    private int rounds;
    private long poolErrors;
    private long directErrors;

    /**
     * Warm-up, discarded: triples of direct requests to {@code hotUrl} (a backend that answers at once) until
     * {@code hotRequests} have been sent (or 30 s have passed), then {@code warmupSeconds} of rounds as measured.
     * Then rounds of (one pool request, then three parallel direct requests) for {@code seconds}, measured.
     */
    Result run(String poolUrl, String poolBody, String directUrl, String directBody, String hotUrl, int hotRequests,
               int warmupSeconds, int seconds) throws Exception {
        CompletableFuture<Void> hot = new CompletableFuture<>();
        long hotUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        vertx.runOnContext(v -> spin(hotUrl, directBody, hotRequests, hotUntil, hot));
        hot.get(60, TimeUnit.SECONDS);
        long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
        long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
        CompletableFuture<Void> done = new CompletableFuture<>();
        vertx.runOnContext(v -> round(poolUrl, poolBody, directUrl, directBody, measureFrom, end, done));
        done.get(warmupSeconds + seconds + 30L, TimeUnit.SECONDS);
        return new Result(warmupRequests, rounds, poolErrors, directErrors, pct(pool, 50), pct(pool, 99),
                pct(second, 50), pct(second, 99), pct(third, 50), pct(third, 99));
    }

    private void round(String poolUrl, String poolBody, String directUrl, String directBody, long measureFrom,
                       long end, CompletableFuture<Void> done) {
        long started = System.nanoTime();
        if (started >= end) {
            done.complete(null);
            return;
        }
        boolean measured = started >= measureFrom;
        rounds += measured ? 1 : 0;
        post(poolUrl, poolBody).onComplete(p -> {
            long answered = System.nanoTime();
            if (p.failed() || p.result() != 200) {
                poolErrors += measured ? 1 : 0;
            } else if (measured) {
                pool.add((answered - started) / 1e6);
            }
            long sent = System.nanoTime();
            long[] at = new long[3];
            int[] count = {0};
            boolean[] failed = {false};
            for (int i = 0; i < 3; i++) {
                post(directUrl, directBody).onComplete(d -> {
                    at[count[0]++] = System.nanoTime();  // in order of arrival
                    failed[0] |= d.failed() || d.result() != 200;
                    if (count[0] < 3) {
                        return;
                    }
                    if (failed[0]) {
                        directErrors += measured ? 1 : 0;
                    } else if (measured) {
                        second.add((at[1] - sent) / 1e6);
                        third.add((at[2] - sent) / 1e6);
                    }
                    round(poolUrl, poolBody, directUrl, directBody, measureFrom, end, done);
                });
            }
        });
    }

    /**
     * Thousands of requests, so that the JIT compiles the client's own code: interpreted (a cold JVM sent about a
     * hundred in its first 2 s here, on a busy machine), its cost would weigh on a triple (three sends, two answers
     * read before the second counts) more than on the single pool request.
     */
    private void spin(String url, String body, int requests, long until, CompletableFuture<Void> done) {
        if (warmupRequests >= requests || System.nanoTime() >= until) {
            done.complete(null);
            return;
        }
        int[] left = {3};
        warmupRequests += 3;
        for (int i = 0; i < 3; i++) {
            post(url, body).onComplete(r -> {
                if (--left[0] == 0) {
                    spin(url, body, requests, until, done);
                }
            });
        }
    }

    /** POSTs the JSON body; the status once the whole response body has arrived. */
    private Future<Integer> post(String url, String body) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
                .putHeader("Content-Type", "application/json").setIdleTimeout(5000);
        return client.request(options)
                .compose(req -> req.send(Buffer.buffer(body)))
                .compose(resp -> resp.body().map(b -> resp.statusCode()));
    }

    /** Nearest-rank percentile, NaN when there is no sample. */
    private static double pct(List<Double> values, int p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(values);
        s.sort(null);
        return s.get(Math.max(0, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }
}
