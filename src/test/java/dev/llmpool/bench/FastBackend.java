package dev.llmpool.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * The benchmark's backend: a separate process that speaks just enough of Ollama's API ({@code POST /api/chat}
 * without streaming, {@code GET /api/tags}) and answers every chat after a fixed latency, one port per
 * latency. Non-blocking (Vert.x, one event loop, a timer per delayed answer) so that it is never the
 * bottleneck; the benchmark measures it directly as the baseline.
 *
 * <p>A port given a third number, {@code <port>:<latencyMs>:<tokenMs>}, is a generating engine instead: after
 * the latency it generates {@code options.num_predict} tokens (default 16), one every {@code tokenMs}, streamed as
 * Ollama's NDJSON unless the request says {@code "stream": false} (then one answer at the end), and it stops
 * generating when the client closes the connection, as a real engine does. It counts every token it generated;
 * {@code GET /bench/tokens} answers that count (the hedging cell divides it by the answers' tokens).
 *
 * <p>Usage: {@code FastBackend <port>:<latencyMs>[:<tokenMs>] ...}; prints {@code READY} once every port listens,
 * and exits when its standard input closes (so it never outlives the benchmark) or after {@code -Dbench.maxSeconds}.
 */
public final class FastBackend {

    static final String MODEL = "bench-model:latest";
    private static final Buffer CHAT = Buffer.buffer("{\"model\":\"" + MODEL + "\",\"created_at\":\"2025-01-01T00:00:00Z\","
            + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"done\":true,\"done_reason\":\"stop\","
            + "\"prompt_eval_count\":5,\"eval_count\":1}");
    private static final Buffer TAGS = Buffer.buffer("{\"models\":[{\"name\":\"" + MODEL + "\",\"model\":\"" + MODEL + "\"}]}");

    private FastBackend() {
    }

    public static void main(String[] args) throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setBlockedThreadCheckInterval(60_000));
        List<String> listening = new ArrayList<>();
        CountDownLatch ready = new CountDownLatch(args.length);
        for (String spec : args) {
            String[] parts = spec.split(":");
            int port = Integer.parseInt(parts[0]);
            long latencyMs = Long.parseLong(parts[1]);
            Engine engine = parts.length > 2 ? new Engine(vertx, latencyMs, Long.parseLong(parts[2])) : null;
            vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)
                            .setAcceptBacklog(8192).setTcpNoDelay(true))
                    .requestHandler(req -> {
                        if (engine != null) {
                            engine.handle(req);
                        } else {
                            handle(vertx, req, latencyMs);
                        }
                    })
                    .listen()
                    .onSuccess(s -> {
                        synchronized (listening) {
                            listening.add(spec);
                        }
                        ready.countDown();
                    })
                    .onFailure(e -> {
                        System.err.println("cannot listen on " + spec + ": " + e);
                        System.exit(2);
                    });
        }
        if (!ready.await(30, TimeUnit.SECONDS)) {
            System.exit(2);
        }
        System.out.println("READY " + listening);
        System.out.flush();
        exitWithParent(vertx);
    }

    /** A benchmark process never outlives the benchmark: it exits when its stdin closes or after bench.maxSeconds. */
    static void exitWithParent(Vertx vertx) {
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // drain until the parent closes our stdin (or dies)
                }
            } catch (java.io.IOException ignored) {
                // parent gone
            }
            System.exit(0);
        });
        watchdog.setDaemon(true);
        watchdog.start();
        vertx.setTimer(TimeUnit.SECONDS.toMillis(Long.getLong("bench.maxSeconds", 3600)), t -> System.exit(0));
    }

    private static void handle(Vertx vertx, HttpServerRequest req, long latencyMs) {
        req.body().onSuccess(body -> {
            String path = req.path();
            if (path.equals("/api/chat")) {
                if (latencyMs <= 0) {
                    answer(req, CHAT);
                } else {
                    vertx.setTimer(latencyMs, t -> answer(req, CHAT));
                }
            } else if (path.equals("/api/tags")) {
                answer(req, TAGS);
            } else {
                req.response().setStatusCode(404).end();
            }
        });
    }

    private static void answer(HttpServerRequest req, Buffer body) {
        req.response().putHeader("Content-Type", "application/json").end(body);
    }

    /** The token every generating port emits; unique enough for a client to find the first one in a stream. */
    static final String TOKEN = "zq";

    /** A generating engine on one port: a token every {@code tokenMs} after {@code latencyMs}, until done or closed. */
    private static final class Engine {
        private final Vertx vertx;
        private final long latencyMs;
        private final long tokenMs;
        private final AtomicLong generated = new AtomicLong();

        Engine(Vertx vertx, long latencyMs, long tokenMs) {
            this.vertx = vertx;
            this.latencyMs = latencyMs;
            this.tokenMs = Math.max(1, tokenMs);
        }

        void handle(HttpServerRequest req) {
            req.body().onSuccess(body -> {
                if (req.path().equals("/bench/tokens")) {
                    answer(req, Buffer.buffer(String.valueOf(generated.get())));
                } else if (req.path().equals("/api/tags")) {
                    answer(req, TAGS);
                } else if (req.path().equals("/api/chat")) {
                    JsonObject json = body.toJsonObject();
                    JsonObject options = json.getJsonObject("options");
                    int n = options == null ? 16 : options.getInteger("num_predict", 16);
                    generate(req, json.getBoolean("stream", true), Math.max(1, n));
                } else {
                    req.response().setStatusCode(404).end();
                }
            });
        }

        private void generate(HttpServerRequest req, boolean stream, int n) {
            HttpServerResponse res = req.response();
            AtomicBoolean closed = new AtomicBoolean();
            req.connection().closeHandler(v -> closed.set(true));
            if (stream) {
                res.setChunked(true).putHeader("Content-Type", "application/x-ndjson");
            }
            int[] left = {n};
            Handler<Long> tick = new Handler<>() {
                @Override
                public void handle(Long t) {
                    if (closed.get()) {
                        return;  // the client went away: a real engine stops generating too
                    }
                    generated.incrementAndGet();
                    left[0]--;
                    if (stream) {
                        res.write(Buffer.buffer(chunk(false, 0)));
                    }
                    if (left[0] > 0) {
                        vertx.setTimer(tokenMs, this);
                    } else if (stream) {
                        res.end(Buffer.buffer(chunk(true, n)));
                    } else {
                        res.putHeader("Content-Type", "application/json").end(Buffer.buffer(
                                "{\"model\":\"" + MODEL + "\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":"
                                        + "{\"role\":\"assistant\",\"content\":\"" + (TOKEN + " ").repeat(n).trim()
                                        + "\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":5,"
                                        + "\"eval_count\":" + n + "}"));
                    }
                }
            };
            vertx.setTimer(Math.max(1, latencyMs), tick);
        }

        private static String chunk(boolean done, int count) {
            return "{\"model\":\"" + MODEL + "\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":"
                    + "\"assistant\",\"content\":\"" + (done ? "" : TOKEN + " ") + "\"},\"done\":" + done
                    + (done ? ",\"done_reason\":\"stop\",\"prompt_eval_count\":5,\"eval_count\":" + count : "") + "}\n";
        }
    }
}
