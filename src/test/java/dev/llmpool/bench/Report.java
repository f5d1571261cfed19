package dev.llmpool.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The benchmark's table: each figure (median of the runs) beside the target for it. */
final class Report {

    /** {@code met} is null where the issue sets no target (the figure is reported only). */
    record Row(String label, String value, String target, Boolean met) {
    }

    private Report() {
    }

    static List<Row> rows(Bench.Mode mode, Samples s, boolean cacheAvailable) {
        List<Row> rows = new ArrayList<>();
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
        double startup = s.median("startup_ms");
        rows.add(new Row("Start-up to first served request", String.format(Locale.ROOT, "%.0f ms", startup), "≤ 3000 ms",
                startup <= 3000));
        return rows;
    }

    static String table(List<Row> rows) {
        StringBuilder b = new StringBuilder("| measure | figure | target | met |\n|---|---|---|---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.label()).append(" | ").append(r.value()).append(" | ").append(r.target())
                    .append(" | ").append(r.met() == null ? "" : r.met() ? "yes" : "**no**").append(" |\n");
        }
        return b.toString();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
