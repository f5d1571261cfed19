package dev.llmpool.eval;

import java.util.List;

/**
 * A strategy row against the best single provider, on the cases both answered (pairs): how many only the strategy
 * got right, how many only the provider did, the difference in accuracy over the pairs, and McNemar's exact test.
 */
record Comparison(EvalRow strategy, EvalRow baseline, int pairs, int onlyStrategy, int onlyBaseline, double pValue) {

    static final double ALPHA = 0.05;

    static Comparison of(EvalRow strategy, EvalRow baseline) {
        int pairs = 0;
        int onlyStrategy = 0;
        int onlyBaseline = 0;
        for (int i = 0; i < strategy.results().size(); i++) {
            CaseResult s = strategy.results().get(i);
            CaseResult b = baseline.results().get(i);
            if (s.answered() && b.answered()) {
                pairs++;
                if (s.correct() && !b.correct()) {
                    onlyStrategy++;
                } else if (!s.correct() && b.correct()) {
                    onlyBaseline++;
                }
            }
        }
        return new Comparison(strategy, baseline, pairs, onlyStrategy, onlyBaseline,
                Statistics.mcnemarExact(onlyStrategy, onlyBaseline));
    }

    /**
     * The provider row with the highest accuracy (ties: the first listed), or null when no provider row answered
     * anything.
     */
    static EvalRow bestProvider(List<EvalRow> rows) {
        EvalRow best = null;
        for (EvalRow row : rows) {
            if (row.kind() == EvalRow.Kind.PROVIDER && row.answered() > 0
                    && (best == null || row.accuracy() > best.accuracy())) {
                best = row;
            }
        }
        return best;
    }

    /** Strategy accuracy minus provider accuracy over the pairs, as a proportion (0.1 = 10 points). */
    double difference() {
        return pairs == 0 ? 0 : (double) (onlyStrategy - onlyBaseline) / pairs;
    }

    boolean significant() {
        return pValue < ALPHA;
    }

    /** "better", "worse", or "no different" (not significant at {@link #ALPHA}). */
    String verdict() {
        if (!significant()) {
            return "no different";
        }
        return onlyStrategy > onlyBaseline ? "better" : "worse";
    }
}
