package dev.llmpool.eval;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One row of the evaluation: a strategy over the task's providers, or a single provider, with every case's result
 * (in case order) and the figures the report shows. Accuracy is over the answered cases only: errors are counted
 * apart. Latencies and tokens are over the answered cases too (an error's time says more about the deadline than
 * about the row).
 */
record EvalRow(String name, Kind kind, List<CaseResult> results) {

    enum Kind {
        STRATEGY, PROVIDER;

        String label() {
            return this == STRATEGY ? "strategy" : "provider";
        }
    }

    int answered() {
        return (int) results.stream().filter(CaseResult::answered).count();
    }

    int correct() {
        return (int) results.stream().filter(r -> Boolean.TRUE.equals(r.correct())).count();
    }

    int errors() {
        return results.size() - answered();
    }

    /** Errors by HTTP status, ascending. */
    Map<Integer, Integer> errorsByStatus() {
        Map<Integer, Integer> byStatus = new TreeMap<>();
        results.stream().filter(r -> !r.answered()).forEach(r -> byStatus.merge(r.status(), 1, Integer::sum));
        return byStatus;
    }

    /** Share of the answered cases answered right; NaN when none was answered. */
    double accuracy() {
        int answered = answered();
        return answered == 0 ? Double.NaN : (double) correct() / answered;
    }

    Statistics.Interval interval() {
        return Statistics.wilson(correct(), answered());
    }

    long latencyPercentileNanos(double q) {
        return Statistics.percentile(results.stream().filter(CaseResult::answered).map(CaseResult::nanos).sorted().toList(), q);
    }

    double promptTokensPerCase() {
        return results.stream().filter(CaseResult::answered).mapToLong(CaseResult::promptTokens).average().orElse(0);
    }

    double completionTokensPerCase() {
        return results.stream().filter(CaseResult::answered).mapToLong(CaseResult::completionTokens).average().orElse(0);
    }
}
