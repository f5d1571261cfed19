package dev.llmpool.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The benchmark's table: each figure (median of the runs) beside the target for it. */
final class Report {

    /**
     * {@code met} is null where the issue sets no target (the figure is reported only); {@code passFail}: the
     * table says PASS or FAIL (the targets cell's rows) rather than yes or no.
     */
    record Row(String label, String value, String target, Boolean met, boolean passFail) {
        Row(String label, String value, String target, Boolean met) {
            this(label, value, target, met, false);
        }
    }

    private Report() {
    }

    /** The rows of the cells that ran, in {@link Bench#ALL_CELLS}' order; start-up last. */
    static List<Row> rows(Bench.Mode mode, Samples s, boolean cacheAvailable, Set<String> cells) {
        List<Row> rows = new ArrayList<>();
        if (cells.contains("latency")) {
            latency(rows, mode, s, cacheAvailable);
        }
        if (cells.contains("inflight")) {
            inflight(rows, mode, s);
        }
        if (cells.contains("doors")) {
            doors(rows, s);
        }
        if (cells.contains("auth")) {
            auth(rows, s);
        }
        if (cells.contains("log")) {
            log(rows, s);
        }
        if (cells.contains("ttft")) {
            ttft(rows, mode, s);
        }
        if (cells.contains("streams")) {
            streams(rows, mode, s);
        }
        if (cells.contains("hedge")) {
            hedge(rows, s);
        }
        if (cells.contains("kafka")) {
            kafka(rows, s);
        }
        if (cells.contains("burst")) {
            burst(rows, s);
        }
        if (cells.contains("admission")) {
            admission(rows, s);
        }
        if (cells.contains("semantic")) {
            semantic(rows, s);
        }
        if (cells.contains("tracing")) {
            tracing(rows, s);
        }
        if (cells.contains("targets")) {
            targets(rows, mode, s, cacheAvailable);
        }
        if (cells.contains("latency") || cells.contains("inflight")) {
            double startup = s.median("startup_ms");
            rows.add(new Row("Start-up to first served request", String.format(Locale.ROOT, "%.0f ms", startup),
                    "≤ 3000 ms", startup <= 3000));
        }
        return rows;
    }

    private static void latency(List<Row> rows, Bench.Mode mode, Samples s, boolean cacheAvailable) {
        int[] cs = mode.concurrencies();
        int top = cs[cs.length - 1];
        for (long latency : new long[] {0, 50}) {
            for (int c : cs) {
                String cell = "fastest.c" + c + ".b" + latency + "ms.";
                double p50Target = c == 1 && latency == 0 ? 0.5 : c == top && latency == 50 ? 1 : Double.NaN;
                double p99Target = c == 1 && latency == 0 ? 2 : c == top && latency == 50 ? 5 : Double.NaN;
                for (String p : new String[] {"p50", "p99"}) {
                    double added = s.median(cell + "added_" + p + "_ms");
                    double target = p.equals("p50") ? p50Target : p99Target;
                    rows.add(new Row(String.format("FASTEST, 1 provider, c=%d, backend %d ms: added %s", c, latency, p),
                            String.format(Locale.ROOT, "%+.2f ms (pool %.2f, direct %.2f)", added,
                                    s.median(cell + "pool_" + p + "_ms"), s.median(cell + "direct_" + p + "_ms")),
                            Double.isNaN(target) ? "" : "≤ " + fmt(target) + " ms",
                            Double.isNaN(target) ? null : added <= target));
                }
            }
        }
        String t = "fastest.c" + top + ".b0ms.";
        double ratio = s.median(t + "throughput_ratio");
        double errors = s.median(t + "errors");
        rows.add(new Row(String.format("Throughput, FASTEST, c=%d, backend 0 ms", top),
                String.format(Locale.ROOT, "%.0f req/s = %.0f%% of direct (%.0f req/s), %.0f errors",
                        s.median(t + "pool_rps"), ratio * 100, s.median(t + "direct_rps"), errors),
                "≥ 40% of direct, 0 errors", ratio >= 0.40 && errors == 0));
        // What the cheapest Vert.x gateway reaches on the same machine, in the same run: the floor to read the row above by
        String f = "floor.c" + top + ".b0ms.";
        rows.add(new Row(String.format("Reference: a bare Vert.x proxy (no Camel, no parsing: read, one backend call,"
                        + " answer), c=%d, backend 0 ms", top),
                String.format(Locale.ROOT, "%.0f req/s = %.0f%% of direct; CPU %.0f µs/request, %.0f errors",
                        s.median(f + "proxy_rps"), s.median(f + "throughput_ratio") * 100,
                        s.median(f + "proxy_cpu_us_per_request"), s.median(f + "errors")),
                "(reference)", null));
        rows.add(new Row(String.format("CPU per request, FASTEST, c=%d, backend 0 ms", top),
                String.format(Locale.ROOT, "service %.0f µs (the fast backend: %.0f µs)",
                        s.median(t + "pool_cpu_us_per_request"), s.median(t + "backend_cpu_us_per_request")),
                "(reported)", null));
        String v = "voting.c" + top + ".b0ms.";
        rows.add(new Row(String.format("Throughput, VOTING over 3 providers, c=%d, backend 0 ms", top),
                String.format(Locale.ROOT, "%.0f req/s = %.0f%% of direct, %.0f errors; service CPU %.0f µs/request",
                        s.median(v + "pool_rps"), s.median(v + "throughput_ratio") * 100, s.median(v + "errors"),
                        s.median(v + "pool_cpu_us_per_request")),
                "", null));
        if (cacheAvailable) {
            double cr = s.median("cache.c" + top + ".throughput_ratio");
            rows.add(new Row(String.format("Throughput, cache hits, c=%d", top),
                    String.format(Locale.ROOT, "%.0f req/s = %.0f%% of direct (%.0f req/s, measured just before), %.0f errors",
                            s.median("cache.c" + top + ".pool_rps"), cr * 100, s.median("cache.c" + top + ".direct_rps"),
                            s.median("cache.c" + top + ".errors")),
                    "≥ 100% of direct", cr >= 1.0));
            double p50 = s.median("cache.c1.pool_p50_ms");
            rows.add(new Row("Cache hit latency p50, c=1", String.format(Locale.ROOT, "%.2f ms", p50), "≤ 0.3 ms",
                    p50 <= 0.3));
        } else {
            rows.add(new Row(String.format("Throughput, cache hits, c=%d", top), "n/a (cache not built yet)",
                    "≥ 100% of direct", null));
            rows.add(new Row("Cache hit latency p50, c=1", "n/a (cache not built yet)", "≤ 0.3 ms", null));
        }
        String w = "voting.c1.b50ms.";
        double waited = s.median(w + "added_over_waited_p50_ms");
        double probeErrors = s.median(w + "probe_pool_errors") + s.median(w + "probe_direct_errors");
        rows.add(new Row("VOTING over 3 providers (50 ms each), c=1: added p50 over the slowest provider it waits for"
                + " (2nd of 3 parallel direct calls, same client)",
                String.format(Locale.ROOT,
                        "%+.2f ms (pool %.2f, direct 2nd of 3 %.2f, 3rd %.2f; p99 %+.2f; errors %.0f)", waited,
                        s.median(w + "probe_pool_p50_ms"), s.median(w + "direct2of3_p50_ms"),
                        s.median(w + "direct3of3_p50_ms"), s.median(w + "added_over_waited_p99_ms"), probeErrors),
                "≤ 1 ms", waited <= 1 && probeErrors == 0));
        // The earlier form of that figure (wrk; one direct call as the baseline), kept to compare with past runs.
        rows.add(new Row("VOTING over 3 providers (50 ms each), c=1: added p50 over one direct call (wrk)",
                String.format(Locale.ROOT, "%+.2f ms (pool %.2f, direct %.2f; p99 %+.2f)",
                        s.median(w + "added_p50_ms"), s.median(w + "pool_p50_ms"),
                        s.median("fastest.c1.b50ms.direct_p50_ms"), s.median(w + "added_p99_ms")),
                "(reported)", null));
        // The same wake-up cost in the cheapest gateway: what any process between caller and backend adds here
        String f50 = "floor.c1.b50ms.";
        rows.add(new Row("Reference: the bare Vert.x proxy, c=1, backend 50 ms: added p50 over one direct call (wrk)",
                String.format(Locale.ROOT, "%+.2f ms (p99 %+.2f; the pool's FASTEST in the same cell: %+.2f)",
                        s.median(f50 + "added_p50_ms"), s.median(f50 + "added_p99_ms"),
                        s.median("fastest.c1.b50ms.added_p50_ms")),
                "(reference)", null));
    }

    private static void inflight(List<Row> rows, Bench.Mode mode, Samples s) {
        String in = String.format(Locale.ROOT, "%,d in flight, backend %.0f s", mode.inflight(), mode.slowMs() / 1000.0);
        double inErrors = s.median("inflight.errors");
        rows.add(new Row(in + " (a second burst, connections pooled): errors", String.format(Locale.ROOT, "%.0f (direct: %.0f)", inErrors,
                s.median("inflight.direct_errors")), "0", inErrors == 0));
        double limit = mode.slowMs() + 500;
        double max = s.median("inflight.max_ms");
        double completed = s.median("inflight.completed");
        // requests not answered before the run ended count as too slow
        boolean allAnswered = completed >= mode.inflight();
        rows.add(new Row(in + ": slowest answer (p99)", String.format(Locale.ROOT,
                "%s%.2f s (p99 %.2f s; direct %.2f s, p99 %.2f s)", allAnswered ? "" : String.format(Locale.ROOT,
                        "only %.0f answered in %d s; of those ", completed, (int) Math.ceil(mode.slowMs() / 1000.0) + 2),
                max / 1000, s.median("inflight.p99_ms") / 1000, s.median("inflight.direct_max_ms") / 1000,
                s.median("inflight.direct_p99_ms") / 1000), "≤ " + fmt(limit / 1000) + " s", allAnswered && max <= limit));
        rows.add(new Row(in + ", the first burst (backend connections opened during it): slowest answer",
                String.format(Locale.ROOT, "%.2f s (p99 %.2f s; %.0f answered in %d s, %.0f errors)",
                        s.median("inflight.first.max_ms") / 1000, s.median("inflight.first.p99_ms") / 1000,
                        s.median("inflight.first.completed"), (int) Math.ceil(mode.slowMs() / 1000.0) + 2,
                        s.median("inflight.first.errors")), "(reported)", null));
        double rss = s.median("inflight.peak_rss_mb");
        rows.add(new Row(in + ": service peak RSS", String.format(Locale.ROOT, "%.0f MB", rss), "≤ 512 MB", rss <= 512));
        rows.add(new Row(in + ": service live threads at peak", String.format(Locale.ROOT, "%.0f",
                s.median("inflight.peak_threads")), "(reported)", null));
    }

    private static void doors(List<Row> rows, Samples s) {
        double errors = s.median("doors.c1.errors");
        for (String door : new String[] {"openai", "ollama"}) {
            double added = s.median("doors.c1." + door + "_added_p50_ms");
            rows.add(new Row(String.format("%s, not streamed, c=1, backend 0 ms: p50 over /v1/infer's (same task)",
                            door.equals("openai") ? "POST /v1/chat/completions" : "POST /api/chat"),
                    String.format(Locale.ROOT, "%+.3f ms (door %.3f, /v1/infer %.3f; errors %.0f)", added,
                            s.median("doors.c1." + door + "_p50_ms"), s.median("doors.c1.infer_p50_ms"), errors),
                    "≤ 0.1 ms", added <= 0.1 && errors == 0));
        }
    }

    private static void auth(List<Row> rows, Samples s) {
        double errors = s.median("auth.c1.errors");
        for (String kind : new String[] {"key", "jwt"}) {
            double added = s.median("auth.c1." + kind + "_added_p50_ms");
            rows.add(new Row(String.format("Auth on, %s, c=1, backend 0 ms: p50 over auth off",
                            kind.equals("key") ? "API key" : "JWT (RS256)"),
                    String.format(Locale.ROOT, "%+.3f ms (on %.3f, off %.3f; errors %.0f)", added,
                            s.median("auth.c1." + kind + "_p50_ms"), s.median("auth.c1.off_p50_ms"), errors),
                    "≤ 0.05 ms", added <= 0.05 && errors == 0));
        }
    }

    private static void log(List<Row> rows, Samples s) {
        double added = s.median("log.c1.added_p50_ms");
        double errors = s.median("log.c1.errors");
        rows.add(new Row("Access log on (kv) and the overhead histogram, c=1, backend 0 ms: p50 over pool.log.format=off",
                String.format(Locale.ROOT, "%+.3f ms (on %.3f, off %.3f; errors %.0f)", added,
                        s.median("log.c1.on_p50_ms"), s.median("log.c1.off_p50_ms"), errors),
                "≤ 0.05 ms", added <= 0.05 && errors == 0));
    }

    private static void ttft(List<Row> rows, Bench.Mode mode, Samples s) {
        int[] cs = mode.concurrencies();
        int top = cs[cs.length - 1];
        String[][] doors = {{"infer", "/v1/infer SSE"}, {"openai", "OpenAI SSE"}, {"ollama", "Ollama NDJSON"}};
        for (int c : new int[] {1, top}) {
            String p = c == 1 ? "p50" : "p99";
            double target = c == 1 ? 1 : 5;
            for (String[] door : doors) {
                String cell = "ttft.c" + c + "." + door[0] + ".";
                double added = s.median(cell + "added_" + p + "_ms");
                double errors = s.median(cell + "errors");
                rows.add(new Row(String.format("Time to first token, %s, c=%d, a token every %d ms: added %s",
                                door[1], c, Bench.TOKEN_MS, p),
                        String.format(Locale.ROOT, "%+.2f ms (pool %.2f, direct %.2f; errors %.0f)", added,
                                s.median(cell + "pool_" + p + "_ms"), s.median("ttft.c" + c + ".direct_" + p + "_ms"),
                                errors),
                        "≤ " + fmt(target) + " ms", added <= target && errors == 0));
            }
            String bare = "ttft.c" + c + ".bare.";
            rows.add(new Row(String.format("Reference: the bare Vert.x proxy piping the engine's NDJSON, c=%d: time to"
                            + " first token added %s", c, p),
                    String.format(Locale.ROOT, "%+.2f ms (errors %.0f)", s.median(bare + "added_" + p + "_ms"),
                            s.median(bare + "errors")), "(reference)", null));
        }
    }

    private static void streams(List<Row> rows, Bench.Mode mode, Samples s) {
        for (int n : new int[] {Math.max(1, mode.inflight() / 4), mode.inflight()}) {
            String cell = "streams.n" + n + ".";
            double rss = s.median(cell + "rss_mb");
            double errors = s.median(cell + "errors");
            boolean full = n == mode.inflight();
            rows.add(new Row(String.format(Locale.ROOT, "%,d OpenAI SSE streams held open (a token every %d ms):"
                            + " service RSS, errors", n, Bench.HELD_TOKEN_MS),
                    String.format(Locale.ROOT, "%.0f MB with %.0f open (%.0f MB before); first token p99 %.0f ms;"
                                    + " %.0f errors", rss, s.median(cell + "open_while_measured"),
                            s.median(cell + "rss_before_mb"), s.median(cell + "first_token_p99_ms"), errors),
                    full ? "≤ 400 MB, 0 errors" : "0 errors", full ? rss <= 400 && errors == 0 : errors == 0));
        }
    }

    private static void hedge(List<Row> rows, Samples s) {
        double ratio = s.median("hedge.c1.tokens_ratio");
        double errors = s.median("hedge.c1.errors");
        rows.add(new Row(String.format("Hedged FASTEST (first engine starts after %d ms, hedge after %d ms), c=1:"
                        + " tokens generated by the backends / the winner's", Bench.HEDGE_SLOW_START_MS,
                        Bench.HEDGE_AFTER_MS),
                String.format(Locale.ROOT, "%.2f (%.0f answers, %.0f hedged, %.0f errors)", ratio,
                        s.median("hedge.c1.requests"), s.median("hedge.c1.hedged"), errors),
                "≤ 1.1", ratio <= 1.1 && errors == 0));
    }

    private static void burst(List<Row> rows, Samples s) {
        double errors = s.median("burst.errors");
        rows.add(new Row(String.format("Bursts of %d requests at once, FASTEST over 3 providers of %d slots (50 ms),"
                        + " %d bursts: errors", RoutingCells.BURST, RoutingCells.SLOTS, RoutingCells.BURSTS),
                String.format(Locale.ROOT, "%.0f (p50 %.1f ms, max %.1f ms)", errors, s.median("burst.p50_ms"),
                        s.median("burst.max_ms")),
                "0", errors == 0));
    }

    private static void admission(List<Row> rows, Samples s) {
        double errors = s.median("admission.errors");
        rows.add(new Row(String.format("Admission: %d callers at once, 1 provider of %d slots (%d ms), deadline %d ms:"
                        + " errors", RoutingCells.CALLERS, RoutingCells.SLOTS, Bench.ADMISSION_BACKEND_MS,
                        RoutingCells.ADMISSION_DEADLINE_MS),
                String.format(Locale.ROOT, "%.0f (wait for a slot p50 %.1f ms, max %.1f ms)", errors,
                        s.median("admission.wait_p50_ms"), s.median("admission.wait_max_ms")),
                "0", errors == 0));
    }

    private static void semantic(List<Row> rows, Samples s) {
        rows.add(new Row("Semantic grouping (similarity=semantic): embedding p50 per answer (the pool's own meter)",
                String.format(Locale.ROOT, "%.2f ms", s.median("semantic.embed_p50_ms")), "(reported)", null));
        rows.add(new Row("VOTING over 3 providers, c=1, backend 0 ms: semantic added p50 over exact",
                String.format(Locale.ROOT, "%+.2f ms (%.0f errors)", s.median("semantic.c1.added_p50_ms"),
                        s.median("semantic.c1.errors")), "(reported)", null));
    }

    private static void tracing(List<Row> rows, Samples s) {
        double added = s.median("tracing.c1.added_p50_ms");
        double errors = s.median("tracing.c1.errors");
        rows.add(new Row("Tracing on (OTLP/HTTP to a local sink), c=1, backend 0 ms: p50 over tracing off",
                String.format(Locale.ROOT, "%+.3f ms (on %.3f, off %.3f; %.0f errors; %.0f exports)", added,
                        s.median("tracing.c1.on_p50_ms"), s.median("tracing.c1.off_p50_ms"), errors,
                        s.median("tracing.exports")),
                "≤ 0.05 ms", added <= 0.05 && errors == 0));
    }

    private static void kafka(List<Row> rows, Samples s) {
        double rps = s.median("kafka.burst.rps");
        if (Double.isNaN(rps)) {
            rows.add(new Row("Kafka door", "n/a (no --kafka-cp: run it with bash bench/run.sh)", "(reported)", null));
            return;
        }
        rows.add(new Row("Kafka door, backend 0 ms: requests a second (a burst, first sent to last answer read)",
                String.format(Locale.ROOT, "%.0f req/s (%.0f errors)", rps, s.median("kafka.burst.errors")),
                "(reported)", null));
        rows.add(new Row("Kafka door, backend 0 ms, one at a time: added p50 over a direct HTTP call",
                String.format(Locale.ROOT, "%+.2f ms (round trip p50 %.2f, p99 %.2f, direct %.2f; errors %.0f)",
                        s.median("kafka.c1.added_p50_ms"), s.median("kafka.c1.p50_ms"), s.median("kafka.c1.p99_ms"),
                        s.median("kafka.c1.direct_p50_ms"), s.median("kafka.c1.errors")),
                "(reported)", null));
    }

    /**
     * Issue 22's targets, each from figures this run measured (n/a when its cell did not run): the pool against
     * the bare proxy, not against the direct backend.
     */
    private static void targets(List<Row> rows, Bench.Mode mode, Samples s, boolean cacheAvailable) {
        int[] cs = mode.concurrencies();
        int top = cs[cs.length - 1];
        String t = "fastest.c" + top + ".b0ms.";
        String f = "floor.c" + top + ".b0ms.";
        double vsProxy = s.median(t + "pool_rps") / s.median(f + "proxy_rps");
        rows.add(target(String.format("Issue 22 target 1: throughput, FASTEST, c=%d, backend 0 ms, over the bare proxy's",
                top), vsProxy, String.format(Locale.ROOT, "%.0f%% (pool %.0f req/s, bare proxy %.0f req/s)",
                vsProxy * 100, s.median(t + "pool_rps"), s.median(f + "proxy_rps")), "≥ 60%", vsProxy >= 0.60));
        double cpu = s.median(t + "pool_cpu_us_per_request");
        rows.add(target(String.format("Issue 22 target 2: service CPU per FASTEST request, c=%d", top), cpu,
                String.format(Locale.ROOT, "%.0f µs (bare proxy %.0f µs)", cpu, s.median(f + "proxy_cpu_us_per_request")),
                "≤ 100 µs", cpu <= 100));
        double waited = s.median("voting.c1.b50ms.added_over_waited_p50_ms");
        rows.add(target("Issue 22 target 3: VOTING over 3 providers, c=1, added p50 over the 2nd of 3 parallel direct"
                + " calls", waited, String.format(Locale.ROOT, "%+.2f ms", waited), "≤ 0.8 ms", waited <= 0.8));
        double cache = cacheAvailable ? s.median("cache.c" + top + ".pool_rps") / s.median(f + "proxy_rps") : Double.NaN;
        rows.add(target(String.format("Issue 22 target 4: cache hits, c=%d, over the bare proxy's throughput", top),
                cache, String.format(Locale.ROOT, "%.0f%% (cache hits %.0f req/s)", cache * 100,
                        s.median("cache.c" + top + ".pool_rps")), "≥ 100%", cache >= 1.0));
        double doors = Math.max(s.median("doors.c1.openai_added_p50_ms"), s.median("doors.c1.ollama_added_p50_ms"));
        rows.add(target("Issue 22 target 5: OpenAI and Ollama doors, c=1, p50 over /v1/infer's (the worse)", doors,
                String.format(Locale.ROOT, "%+.3f ms", doors), "≤ 0.1 ms", doors <= 0.1));
        double ttft50 = Math.max(s.median("ttft.c1.infer.added_p50_ms"), Math.max(s.median("ttft.c1.openai.added_p50_ms"),
                s.median("ttft.c1.ollama.added_p50_ms")));
        rows.add(target("Issue 22 target 5: time to first token added, c=1, p50 (the worst door)", ttft50,
                String.format(Locale.ROOT, "%+.2f ms", ttft50), "≤ 1 ms", ttft50 <= 1));
        String p99 = "ttft.c" + top + ".";
        double ttft99 = Math.max(s.median(p99 + "infer.added_p99_ms"), Math.max(s.median(p99 + "openai.added_p99_ms"),
                s.median(p99 + "ollama.added_p99_ms")));
        rows.add(target(String.format("Issue 22 target 5: time to first token added, c=%d, p99 (the worst door)", top),
                ttft99, String.format(Locale.ROOT, "%+.2f ms", ttft99), "≤ 5 ms", ttft99 <= 5));
        double auth = Math.max(s.median("auth.c1.key_added_p50_ms"), s.median("auth.c1.jwt_added_p50_ms"));
        rows.add(target("Issue 22 target 5: auth on, c=1, p50 over auth off (API key or JWT, the worse)", auth,
                String.format(Locale.ROOT, "%+.3f ms", auth), "≤ 0.05 ms", auth <= 0.05));
        double inflight = s.median("inflight.peak_rss_mb");
        rows.add(target(String.format(Locale.ROOT, "Issue 22 target 6: %,d in-flight requests, service peak RSS",
                mode.inflight()), inflight, String.format(Locale.ROOT, "%.0f MB", inflight), "≤ 400 MB", inflight <= 400));
        double streams = s.median("streams.n" + mode.inflight() + ".rss_mb");
        rows.add(target(String.format(Locale.ROOT, "Issue 22 target 6: %,d open SSE streams, service RSS",
                mode.inflight()), streams, String.format(Locale.ROOT, "%.0f MB", streams), "≤ 400 MB", streams <= 400));
    }

    /** A target row: PASS or FAIL, or n/a when the figure's cell did not run in this run. */
    private static Row target(String label, double figure, String value, String target, boolean met) {
        boolean measured = !Double.isNaN(figure);
        return new Row(label, measured ? value : "n/a (its cell did not run)", target,
                measured ? Boolean.valueOf(met) : null, true);
    }

    static String table(List<Row> rows) {
        StringBuilder b = new StringBuilder("| measure | figure | target | met |\n|---|---|---|---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.label()).append(" | ").append(r.value()).append(" | ").append(r.target())
                    .append(" | ").append(r.met() == null ? "" : r.passFail() ? (r.met() ? "PASS" : "**FAIL**")
                            : r.met() ? "yes" : "**no**").append(" |\n");
        }
        return b.toString();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
