package dev.llmpool.eval;

import java.util.List;

/** The few statistics an evaluation reports, written out so each can be checked against its textbook form. */
final class Statistics {

    /** The 97.5% quantile of the standard normal distribution: a two-sided 95% interval. */
    static final double Z95 = 1.959963984540054;

    private Statistics() {
    }

    /** An interval [low, high] of proportions. */
    record Interval(double low, double high) {
    }

    /**
     * Wilson's score interval for {@code successes} of {@code n} at 95%: unlike the normal approximation it stays
     * inside [0, 1] and is sensible at 0% and 100% and for small n. {@code n = 0} gives [0, 1].
     */
    static Interval wilson(int successes, int n) {
        if (n == 0) {
            return new Interval(0, 1);
        }
        double p = (double) successes / n;
        double z2 = Z95 * Z95;
        double denominator = 1 + z2 / n;
        double centre = (p + z2 / (2.0 * n)) / denominator;
        double half = Z95 * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
        return new Interval(Math.max(0, centre - half), Math.min(1, centre + half));
    }

    /**
     * McNemar's exact test on paired outcomes: of the {@code onlyA + onlyB} discordant pairs (one right, the other
     * wrong), under "no difference" each is A's with probability 1/2, so the two-sided p-value is
     * min(1, 2 P(X <= min(onlyA, onlyB))) for X ~ Binomial(onlyA + onlyB, 1/2). Exact at every count, so no
     * chi-square approximation (or its continuity correction) is needed. No discordant pairs gives 1.
     */
    static double mcnemarExact(int onlyA, int onlyB) {
        int n = onlyA + onlyB;
        int k = Math.min(onlyA, onlyB);
        double logHalfToN = n * Math.log(0.5);
        double logChoose = 0;  // log C(n, 0)
        double tail = 0;
        for (int i = 0; i <= k; i++) {
            tail += Math.exp(logChoose + logHalfToN);
            logChoose += Math.log(n - i) - Math.log(i + 1.0);  // C(n, i+1) = C(n, i) (n-i) / (i+1)
        }
        return Math.min(1, 2 * tail);
    }

    /** The nearest-rank percentile (0 < q <= 100) of values sorted ascending; 0 for none. */
    static long percentile(List<Long> sorted, double q) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int rank = (int) Math.ceil(q / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
    }
}
