package dev.llmpool.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

/**
 * The benchmark's backend: a separate process that speaks just enough of Ollama's API ({@code POST /api/chat}
 * without streaming, {@code GET /api/tags}) and answers every chat after a fixed latency, one port per
 * latency. Non-blocking (Vert.x, one event loop, a timer per delayed answer) so that it is never the
 * bottleneck; the benchmark measures it directly as the baseline.
 *
 * <p>Usage: {@code FastBackend <port>:<latencyMs> ...}; prints {@code READY} once every port listens, and exits
 * when its standard input closes (so it never outlives the benchmark) or after {@code -Dbench.maxSeconds}.
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
            vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)
                            .setAcceptBacklog(8192).setTcpNoDelay(true))
                    .requestHandler(req -> handle(vertx, req, latencyMs))
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
}
