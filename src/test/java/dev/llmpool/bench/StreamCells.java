package dev.llmpool.bench;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The streaming cells, measured by {@link StreamClient} (wrk sees only whole answers): {@code ttft}, the time to
 * the first streamed token through each door against the engine called directly (issues 14 and 22: a token every
 * {@link Bench#TOKEN_MS} ms; concurrency 1 p50 and 64 p99), and {@code streams}, the service's resident memory
 * with hundreds or thousands of SSE streams held open (issues 14 and 22).
 */
final class StreamCells {

    /** Tokens per timed stream: a few, so that concurrency 1 gets many streams into a cell. */
    static final int STREAM_TOKENS = 4;

    private final Bench b;

    StreamCells(Bench b) {
        this.b = b;
    }

    void run(int rep, Set<String> cells) throws Exception {
        if (cells.contains("ttft")) {
            ttft(rep);
        }
        if (cells.contains("streams")) {
            streams(rep);
        }
    }

    private void ttft(int rep) throws Exception {
        int top = b.mode.concurrencies()[b.mode.concurrencies().length - 1];
        int port = Bench.freePort();
        try (Service svc = Service.start(b.jar, b.work.resolve("ttft" + rep), b.config(port, false), b.serviceJvm,
                port, Bench.poolBody("fast0", false));
             StreamClient client = new StreamClient(top)) {
            System.out.printf("service (streaming) up in %.0f ms%n", svc.startupMs);
            Map<String, String> doors = Map.of(
                    "infer", Bench.poolBody(Bench.STREAM_TASK, false).replace("\"max_tokens\":16",
                            "\"max_tokens\":" + STREAM_TOKENS).replace("}", ",\"stream\":true}"),
                    "openai", FrontCells.openAiBody(Bench.STREAM_TASK, true),
                    "ollama", FrontCells.ollamaBody(Bench.STREAM_TASK, true));
            Map<String, String> paths = Map.of("infer", "/v1/infer", "openai", "/v1/chat/completions",
                    "ollama", "/api/chat");
            String direct = "http://127.0.0.1:" + b.backendTokens + "/api/chat";
            String bare = "http://127.0.0.1:" + b.bareProxyTokens + "/api/chat";
            String directBody = "{\"model\":\"" + Bench.MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
                    + Bench.PROMPT + "\\n\"}],\"stream\":true,\"options\":{\"num_predict\":" + STREAM_TOKENS + "}}";
            // warm-up: every door and the client's own code, at the top concurrency, not recorded
            int warm = Math.max(1, b.mode.warmupSeconds() / 4);
            client.closedLoop(direct, directBody, Map.of(), top, warm, 0);
            client.closedLoop(bare, directBody, Map.of(), top, warm, 0);
            for (String door : List.of("infer", "openai", "ollama")) {
                client.closedLoop(FrontCells.url(svc, paths.get(door)), doors.get(door), Map.of(), top, warm, 0);
            }
            // Each measurement starts with a second at its concurrency, not recorded: the service closes a backend
            // connection idle for pool.http.idle-timeout-ms (1 s), so after the c=1 cells the first door measured at
            // the top concurrency would open the extra connections for all three inside its p99.
            int settle = 1;
            for (int c : new int[] {1, top}) {
                StreamClient.Result d = client.closedLoop(direct, directBody, Map.of(), c, settle, b.mode.cellSeconds());
                print("direct", direct, c, d);
                b.samples.add("ttft.c" + c + ".direct_p50_ms", d.p50());
                b.samples.add("ttft.c" + c + ".direct_p99_ms", d.p99());
                // the floor: one more hop that only pipes the chunks (no Camel, no parsing, no reframing)
                StreamClient.Result f = client.closedLoop(bare, directBody, Map.of(), c, settle, b.mode.cellSeconds());
                print("bare proxy", bare, c, f);
                b.samples.add("ttft.c" + c + ".bare.added_p50_ms", f.p50() - d.p50());
                b.samples.add("ttft.c" + c + ".bare.added_p99_ms", f.p99() - d.p99());
                b.samples.add("ttft.c" + c + ".bare.errors", f.errors());
                for (String door : List.of("infer", "openai", "ollama")) {
                    String url = FrontCells.url(svc, paths.get(door));
                    StreamClient.Result r = client.closedLoop(url, doors.get(door), Map.of(), c, settle,
                            b.mode.cellSeconds());
                    print("pool " + door, url, c, r);
                    svc.printNewStepTimes();
                    String cell = "ttft.c" + c + "." + door + ".";
                    b.samples.add(cell + "pool_p50_ms", r.p50());
                    b.samples.add(cell + "pool_p99_ms", r.p99());
                    b.samples.add(cell + "added_p50_ms", r.p50() - d.p50());
                    b.samples.add(cell + "added_p99_ms", r.p99() - d.p99());
                    b.samples.add(cell + "errors", r.errors());
                }
            }
        }
    }

    /**
     * {@code n} OpenAI SSE streams opened at once against the slow engine (a token every
     * {@link Bench#HELD_TOKEN_MS} ms), held while the service's VmRSS is read every 100 ms for two seconds; on
     * the in-flight configuration (connections and the provider's slots raised to the in-flight run's size).
     */
    private void streams(int rep) throws Exception {
        int max = b.mode.inflight();
        int port = Bench.freePort();
        try (Service svc = Service.start(b.jar, b.work.resolve("streams" + rep), b.config(port, true), b.serviceJvm,
                port, Bench.poolBody("fast0", false));
             StreamClient client = new StreamClient(max)) {
            System.out.printf("service (streams) up in %.0f ms%n", svc.startupMs);
            client.closedLoop(FrontCells.url(svc, "/v1/chat/completions"),
                    FrontCells.openAiBody(Bench.STREAM_TASK, true), Map.of(), 16, Math.max(1, b.mode.warmupSeconds() / 2), 0);
            String body = FrontCells.openAiBody(Bench.HELD_TASK, true)
                    .replace("\"max_tokens\":" + STREAM_TOKENS, "\"max_tokens\":" + Bench.HELD_TOKENS);
            long streamMs = Bench.HELD_TOKENS * Bench.HELD_TOKEN_MS;
            for (int n : new int[] {Math.max(1, max / 4), max}) {
                double idle = svc.rssMb();
                double[] peak = {0};
                StreamClient.Result r = client.held(FrontCells.url(svc, "/v1/chat/completions"), body, n,
                        (int) (streamMs / 1000) - 4, (int) (streamMs / 1000) + 10, () -> {
                            for (int i = 0; i < 20; i++) {
                                peak[0] = Math.max(peak[0], svc.rssMb());
                                try {
                                    Thread.sleep(100);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                    return;
                                }
                            }
                        });
                String cell = "streams.n" + n + ".";
                b.samples.add(cell + "rss_mb", peak[0]);
                b.samples.add(cell + "rss_before_mb", idle);
                b.samples.add(cell + "errors", r.errors());
                b.samples.add(cell + "first_token_p99_ms", r.p99());
                b.samples.add(cell + "open_while_measured", r.openWhileHeld());
                System.out.printf("  %-26s n=%-5d RSS %.0f MB held (%.0f MB before) with %d open; first token p99"
                        + " %.1f ms; %d ended, %d errors%n", "pool SSE streams held", n, peak[0], idle,
                        r.openWhileHeld(), r.p99(), r.completed(), r.errors());
            }
        }
    }

    private static void print(String what, String url, int c, StreamClient.Result r) {
        System.out.printf("  %-26s c=%-4d %6d streams  first token p50 %8.3f ms  p99 %8.3f ms  errors %d%n",
                what + " " + url.replaceFirst("http://127.0.0.1:\\d+", ""), c, r.completed(), r.p50(), r.p99(),
                r.errors());
    }
}
