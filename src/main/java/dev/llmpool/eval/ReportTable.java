package dev.llmpool.eval;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/** The evaluation's report as text: one table row per strategy and provider, then the pairwise comparisons. */
final class ReportTable {

    private static final String[] HEADER = {"row", "kind", "accuracy", "95% CI", "answered", "p50 ms", "p95 ms",
            "prompt tok/case", "completion tok/case", "errors"};

    private ReportTable() {
    }

    static void print(PrintStream out, String task, int cases, List<EvalRow> rows, List<Comparison> comparisons) {
        out.printf(Locale.ROOT, "Task %s, %d cases. Accuracy over answered cases (errors counted apart), Wilson 95%% "
                + "interval; latency and tokens over answered cases.%n%n", task, cases);
        List<String[]> lines = new ArrayList<>();
        lines.add(HEADER);
        for (EvalRow row : rows) {
            lines.add(new String[] {row.name(), row.kind().label(), percent(row.accuracy()), interval(row),
                    row.answered() + "/" + row.results().size(), millis(row.latencyPercentileNanos(50)),
                    millis(row.latencyPercentileNanos(95)), decimal(row.promptTokensPerCase()),
                    decimal(row.completionTokensPerCase()), errors(row)});
        }
        printAligned(out, lines);
        out.println();
        EvalRow best = comparisons.isEmpty() ? null : comparisons.get(0).baseline();
        if (best == null) {
            out.println("No comparison: it needs a strategy row and a provider row that answered.");
            return;
        }
        out.printf(Locale.ROOT, "Against the best single provider, %s (%s): McNemar's exact test (two-sided binomial "
                + "on the cases only one of the two got right), significance at %.2f.%n", best.name(),
                percent(best.accuracy()), Comparison.ALPHA);
        for (Comparison c : comparisons) {
            out.println(line(c));
        }
    }

    /** One comparison as a sentence, e.g. "VOTING vs phi3: +14.5 points over 200 paired cases (...), p=0.0001, ...". */
    static String line(Comparison c) {
        return String.format(Locale.ROOT, "%s vs %s: %+.1f points over %d paired cases (%d right only with %s, "
                        + "%d only with %s), p=%s: %s",
                c.strategy().name(), c.baseline().name(), 100 * c.difference(), c.pairs(), c.onlyStrategy(),
                c.strategy().name(), c.onlyBaseline(), c.baseline().name(), pValue(c.pValue()),
                c.significant() ? "significant at 0.05, " + c.strategy().name() + " is " + c.verdict()
                        : "not significant at 0.05");
    }

    static String pValue(double p) {
        return p < 0.0001 ? String.format(Locale.ROOT, "%.1e", p) : String.format(Locale.ROOT, "%.4f", p);
    }

    private static void printAligned(PrintStream out, List<String[]> lines) {
        int[] widths = new int[HEADER.length];
        for (String[] line : lines) {
            for (int i = 0; i < line.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        for (String[] line : lines) {
            StringJoiner text = new StringJoiner("  ");
            for (int i = 0; i < line.length; i++) {
                boolean left = i < 2 || i == line.length - 1;  // names and the error breakdown read left to right
                text.add(left ? String.format("%-" + widths[i] + "s", line[i]) : String.format("%" + widths[i] + "s", line[i]));
            }
            out.println(text.toString().stripTrailing());
        }
    }

    private static String percent(double share) {
        return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }

    private static String interval(EvalRow row) {
        if (row.answered() == 0) {
            return "-";
        }
        Statistics.Interval ci = row.interval();
        return String.format(Locale.ROOT, "[%.1f, %.1f]", 100 * ci.low(), 100 * ci.high());
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }

    private static String decimal(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    private static String errors(EvalRow row) {
        if (row.errors() == 0) {
            return "0";
        }
        StringJoiner byStatus = new StringJoiner(", ", " (", ")");
        row.errorsByStatus().forEach((status, n) -> byStatus.add(n + "x " + status));
        return row.errors() + byStatus.toString();
    }
}
