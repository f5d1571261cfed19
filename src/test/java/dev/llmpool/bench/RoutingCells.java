package dev.llmpool.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpServer;

/**
 * The cells of the routing and tracing work: {@code tracing} (issue 18: tracing on, exporting to a local OTLP/HTTP
 * sink, against off, c=1), {@code burst} (issue 16: bursts of {@link #BURST} requests over three providers of
 * {@link #SLOTS} slots each), {@code admission} (issue 19: {@link #CALLERS} callers at once on one provider of
 * {@link #SLOTS} slots with a 20 ms backend and a 2 s deadline: errors and the wait for a slot) and {@code semantic}
 * (issue 19: what embedding an answer costs, from the pool's own meter, and what semantic VOTING adds at c=1).
 */
final class RoutingCells {

    static final int BURST = 20;
    static final int BURSTS = 10;
    static final int SLOTS = 4;
    static final int CALLERS = 100;
    static final long ADMISSION_DEADLINE_MS = 2000;
    private static final Pattern EMBED_P50 =
            Pattern.compile("(?m)^llmpool_similarity_embedding_seconds\\{[^}]*quantile=\"0\\.5\"[^}]*} ([0-9.eE+-]+)");
    private static final Pattern EMBED_COUNT =
            Pattern.compile("(?m)^llmpool_similarity_embedding_seconds_count(?:\\{[^}]*})? ([0-9.eE+-]+)");

    private final Bench b;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    RoutingCells(Bench b) {
        this.b = b;
    }

    /** The benchmark's providers and tasks for these cells (three 4-slot providers, one 4-slot 20 ms one). */
    String config() {
        StringBuilder c = new StringBuilder();
        for (int i = 1; i <= 3; i++) {
            Bench.provider(c, "r" + i, b.backend50, SLOTS);
            Bench.provider(c, "s" + i, b.backend0, 256);
        }
        Bench.provider(c, "q1", b.backend20, SLOTS);
        Bench.task(c, "burst", "r1,r2,r3", "FASTEST", 1500);
        Bench.task(c, "admission", "q1", "FASTEST", ADMISSION_DEADLINE_MS);
        Bench.task(c, "semvote0", "s1,s2,s3", "VOTING", 1500);
        c.append("pool.tasks.semvote0.similarity=semantic\n");
        return c.toString();
    }

    void run(int rep, Set<String> cells) throws Exception {
        int port = Bench.freePort();
        try (Service svc = Service.start(b.jar, b.work.resolve("routing" + rep), b.config(port, false, config()),
                b.serviceJvm, port, Bench.poolBody("fast0", false))) {
            System.out.printf("service (routing cells) up in %.0f ms%n", svc.startupMs);
            b.warmUp(svc, List.of(new Bench.Load(FrontCells.url(svc, "/v1/infer"), Bench.poolBody("fast0", false),
                    Map.of(), 1)));
            if (cells.contains("burst")) {
                burst(svc);
            }
            if (cells.contains("admission")) {
                admission(svc);
            }
            if (cells.contains("semantic")) {
                semantic(svc);
            }
            if (cells.contains("tracing")) {
                tracing(svc, rep);
            }
        }
    }

    /** {@link #BURSTS} bursts of {@link #BURST} requests at once on FASTEST over three 4-slot providers (50 ms). */
    private void burst(Service svc) throws Exception {
        long errors = 0;
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < BURSTS; i++) {
            List<long[]> answers = together(svc, "burst", BURST);
            for (long[] a : answers) {
                errors += a[0] == 200 ? 0 : 1;
                ms.add(a[1] / 1e6);
            }
            Thread.sleep(200);
        }
        Collections.sort(ms);
        b.samples.add("burst.errors", errors);
        b.samples.add("burst.p50_ms", ms.get(ms.size() / 2));
        b.samples.add("burst.max_ms", ms.get(ms.size() - 1));
        System.out.printf("  %-26s %d x %d at once: %d errors, p50 %.1f ms, max %.1f ms%n", "pool burst, 3 x 4 slots",
                BURSTS, BURST, errors, ms.get(ms.size() / 2), ms.get(ms.size() - 1));
    }

    /** {@link #CALLERS} callers at once on one 4-slot provider (20 ms): errors and the wait (latency - 20 ms). */
    private void admission(Service svc) throws Exception {
        together(svc, "admission", SLOTS); // connections opened
        List<long[]> answers = together(svc, "admission", CALLERS);
        long errors = answers.stream().filter(a -> a[0] != 200).count();
        List<Double> waits = new ArrayList<>();
        for (long[] a : answers) {
            waits.add(Math.max(0, a[1] / 1e6 - Bench.ADMISSION_BACKEND_MS));
        }
        Collections.sort(waits);
        double p50 = waits.get(waits.size() / 2);
        double max = waits.get(waits.size() - 1);
        b.samples.add("admission.errors", errors);
        b.samples.add("admission.wait_p50_ms", p50);
        b.samples.add("admission.wait_max_ms", max);
        System.out.printf("  %-26s %d at once: %d errors, wait p50 %.1f ms, max %.1f ms%n", "pool admission, 4 slots",
                CALLERS, errors, p50, max);
    }

    /**
     * VOTING over three providers with similarity=semantic: waits for the embedding model (it loads in the
     * background), then c=1 against exact VOTING on the same backend, and the pool's own p50 per embedded answer.
     */
    private void semantic(Service svc) throws Exception {
        String metrics = FrontCells.url(svc, "/metrics");
        long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (metric(metrics, EMBED_COUNT) <= 0) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("the embedding model did not load within 90 s");
            }
            send(svc, "semvote0");
            Thread.sleep(500);
        }
        b.warmUp(svc, List.of(new Bench.Load(FrontCells.url(svc, "/v1/infer"), Bench.poolBody("semvote0", false),
                Map.of(), 1)));
        Wrk.Result exact = b.load("pool VOTING exact", FrontCells.url(svc, "/v1/infer"), Bench.poolBody("vote0", false), 1);
        Wrk.Result semantic = b.load("pool VOTING semantic", FrontCells.url(svc, "/v1/infer"),
                Bench.poolBody("semvote0", false), 1);
        double perAnswer = metric(metrics, EMBED_P50) * 1000;
        b.samples.add("semantic.embed_p50_ms", perAnswer);
        b.samples.add("semantic.c1.added_p50_ms", semantic.p50() - exact.p50());
        b.samples.add("semantic.c1.errors", semantic.errors() + exact.errors());
        System.out.printf("  %-26s embedding p50 %.2f ms per answer%n", "pool semantic grouping", perAnswer);
    }

    /** A second service exporting every span to a local OTLP/HTTP sink, against the cells' own service, c=1. */
    private void tracing(Service plain, int rep) throws Exception {
        AtomicLong exports = new AtomicLong();
        HttpServer sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        sink.createContext("/", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                in.readAllBytes();
            }
            exports.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        sink.start();
        try {
            int port = Bench.freePort();
            String extra = config() + "pool.tracing.otlp-endpoint=http://127.0.0.1:" + sink.getAddress().getPort() + "\n";
            try (Service traced = Service.start(b.jar, b.work.resolve("tracing" + rep), b.config(port, false, extra),
                    b.serviceJvm, port, Bench.poolBody("fast0", false))) {
                System.out.printf("service (tracing on) up in %.0f ms%n", traced.startupMs);
                b.warmUp(traced, List.of(new Bench.Load(FrontCells.url(traced, "/v1/infer"),
                        Bench.poolBody("fast0", false), Map.of(), 1)));
                for (int round = 1; round <= FrontCells.ROUNDS; round++) {
                    Wrk.Result off = b.load("pool, tracing off", FrontCells.url(plain, "/v1/infer"),
                            Bench.poolBody("fast0", false), 1);
                    Wrk.Result on = b.load("pool, tracing on", FrontCells.url(traced, "/v1/infer"),
                            Bench.poolBody("fast0", false), 1);
                    b.samples.add("tracing.c1.off_p50_ms", off.p50());
                    b.samples.add("tracing.c1.on_p50_ms", on.p50());
                    b.samples.add("tracing.c1.added_p50_ms", on.p50() - off.p50());
                    b.samples.add("tracing.c1.errors", on.errors() + off.errors());
                }
            }
        } finally {
            sink.stop(0);
        }
        b.samples.add("tracing.exports", exports.get());
        System.out.printf("  %-26s %d OTLP exports received%n", "pool tracing", exports.get());
    }

    /** {@code n} requests for {@code task} sent at once; each answer's status and nanoseconds. */
    private List<long[]> together(Service svc, String task, int n) {
        List<CompletableFuture<long[]>> all = new ArrayList<>();
        HttpRequest request = HttpRequest.newBuilder(URI.create(FrontCells.url(svc, "/v1/infer")))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(Bench.poolBody(task, false))).build();
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            all.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .handle((r, e) -> new long[] {r == null ? -1 : r.statusCode(), System.nanoTime() - start}));
        }
        return all.stream().map(CompletableFuture::join).toList();
    }

    private void send(Service svc, String task) throws IOException, InterruptedException {
        http.send(HttpRequest.newBuilder(URI.create(FrontCells.url(svc, "/v1/infer")))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(Bench.poolBody(task, false))).build(),
                HttpResponse.BodyHandlers.discarding());
    }

    private double metric(String url, Pattern pattern) throws IOException, InterruptedException {
        String text = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = pattern.matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
