package dev.llmpool.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleConsumer;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The streaming client wrk cannot be: times each streamed request from sending it to the first chunk holding
 * {@link FastBackend#TOKEN} (the first generated token, whatever the door's framing: Ollama's NDJSON, OpenAI's SSE,
 * the task API's SSE), then reads the stream to its end. Vert.x's HTTP client on one event loop, keep-alive, so
 * that the same client measures the pool and the backend called directly.
 */
final class StreamClient implements AutoCloseable {

    /** Times to first token (ms) of the streams that completed, and how many failed or did not end in time. */
    record Result(List<Double> ttftMs, long completed, long errors, long openWhileHeld) {
        Result(List<Double> ttftMs, long completed, long errors) {
            this(ttftMs, completed, errors, 0);
        }

        double p50() {
            return percentile(50);
        }

        double p99() {
            return percentile(99);
        }

        private double percentile(double p) {
            if (ttftMs.isEmpty()) {
                return Double.NaN;
            }
            List<Double> s = new ArrayList<>(ttftMs);
            s.sort(null);
            return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100 * s.size()) - 1));
        }
    }

    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
            .setBlockedThreadCheckInterval(60_000));
    private final HttpClient client;

    StreamClient(int maxConnections) {
        client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setIdleTimeout(0), new PoolOptions().setHttp1MaxSize(maxConnections).setMaxWaitQueueSize(-1));
    }

    /**
     * {@code concurrency} streams at a time, each followed by the next as soon as it ends, for {@code seconds};
     * the first {@code warmupSeconds} are not recorded.
     */
    Result closedLoop(String url, String body, Map<String, String> headers, int concurrency, int warmupSeconds,
                      int seconds) throws Exception {
        long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
        long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
        List<Double> ttft = new ArrayList<>();  // touched on the event loop only
        long[] counts = new long[2];            // completed, errors
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            CompletableFuture<Void> worker = new CompletableFuture<>();
            workers.add(worker);
            vertx.runOnContext(v -> loop(url, body, headers, measureFrom, end, ttft, counts, worker));
        }
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new))
                .get(warmupSeconds + seconds + 60L, TimeUnit.SECONDS);
        CompletableFuture<Result> result = new CompletableFuture<>();
        vertx.runOnContext(v -> result.complete(new Result(List.copyOf(ttft), counts[0], counts[1])));
        return result.get(10, TimeUnit.SECONDS);
    }

    private void loop(String url, String body, Map<String, String> headers, long measureFrom, long end,
                      List<Double> ttft, long[] counts, CompletableFuture<Void> worker) {
        long started = System.nanoTime();
        if (started >= end) {
            worker.complete(null);
            return;
        }
        boolean measured = started >= measureFrom;
        stream(url, body, headers, ms -> {
            if (measured) {
                ttft.add(ms);
            }
        }).onComplete(r -> {
            if (measured) {
                counts[r.succeeded() ? 0 : 1]++;
            }
            loop(url, body, headers, measureFrom, end, ttft, counts, worker);
        });
    }

    /**
     * Opens {@code n} streams at once and, once each has had its first token (or {@code firstTokenSeconds} have
     * passed), runs {@code whileHeld} on this thread with the streams still open; then waits for them to end.
     * Returns the times to first token, the streams that ended well, the errors (failed or not ended in
     * {@code endSeconds}) and how many streams were open (first token had, not ended) when {@code whileHeld} began.
     */
    Result held(String url, String body, int n, int firstTokenSeconds, int endSeconds, Runnable whileHeld)
            throws Exception {
        List<Double> ttft = new ArrayList<>();
        long[] counts = new long[2];
        CompletableFuture<Void> allFirst = new CompletableFuture<>();
        List<CompletableFuture<Void>> ends = new ArrayList<>();
        int[] firsts = {0};
        int[] openNow = {0};
        String[] firstError = {null};
        for (int i = 0; i < n; i++) {
            CompletableFuture<Void> ended = new CompletableFuture<>();
            ends.add(ended);
            boolean[] opened = {false};
            vertx.runOnContext(v -> stream(url, body, Map.of(), ms -> {
                ttft.add(ms);
                opened[0] = true;
                openNow[0]++;
                if (++firsts[0] == n) {
                    allFirst.complete(null);
                }
            }).onComplete(r -> {
                counts[r.succeeded() ? 0 : 1]++;
                openNow[0] -= opened[0] ? 1 : 0;
                if (r.failed() && firstError[0] == null) {
                    firstError[0] = String.valueOf(r.cause());
                    System.out.println("  first stream error: " + firstError[0]);
                    if (firsts[0] + counts[1] == n) {
                        allFirst.complete(null);  // no stream left to wait for
                    }
                }
            }));
        }
        try {
            allFirst.get(firstTokenSeconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException notAll) {
            // some streams had no token yet: measured as they are, counted as errors below if they never end
        }
        CompletableFuture<Long> open = new CompletableFuture<>();
        vertx.runOnContext(v -> open.complete((long) openNow[0]));
        long openWhileHeld = open.get(10, TimeUnit.SECONDS);
        whileHeld.run();
        try {
            CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).get(endSeconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException notEnded) {
            // counted below
        }
        CompletableFuture<Result> result = new CompletableFuture<>();
        vertx.runOnContext(v -> result.complete(
                new Result(List.copyOf(ttft), counts[0], n - counts[0], openWhileHeld)));
        return result.get(10, TimeUnit.SECONDS);
    }

    /** One streamed request; {@code firstToken} gets the ms to its first token; succeeds when a 200 ends. */
    private Future<Void> stream(String url, String body, Map<String, String> headers, DoubleConsumer firstToken) {
        Promise<Void> done = Promise.promise();
        long started = System.nanoTime();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
                .putHeader("Content-Type", "application/json");
        headers.forEach(options::putHeader);
        client.request(options)
                .compose(req -> req.send(Buffer.buffer(body)))
                .onSuccess(res -> {
                    boolean[] seen = {false};
                    String[] tail = {""};  // a token split between two chunks is still found
                    res.handler(chunk -> {
                        if (!seen[0]) {
                            String text = tail[0] + chunk.toString();
                            if (text.contains(FastBackend.TOKEN)) {
                                seen[0] = true;
                                firstToken.accept((System.nanoTime() - started) / 1e6);
                            } else {
                                tail[0] = text.substring(Math.max(0, text.length() - FastBackend.TOKEN.length()));
                            }
                        }
                    });
                    res.exceptionHandler(done::tryFail);
                    res.endHandler(v -> {
                        if (res.statusCode() == 200 && seen[0]) {
                            done.tryComplete();
                        } else {
                            done.tryFail("status " + res.statusCode() + (seen[0] ? "" : ", no token"));
                        }
                    });
                })
                .onFailure(done::tryFail);
        return done.future();
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }
}
