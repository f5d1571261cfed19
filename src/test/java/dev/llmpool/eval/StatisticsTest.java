package dev.llmpool.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.List;

import org.junit.jupiter.api.Test;

class StatisticsTest {

    @Test
    void wilsonIntervalMatchesPublishedValues() {
        // 140/200 by hand: centre (0.7 + z²/400) / (1 + z²/200) = 0.69623, half-width 0.06302
        Statistics.Interval seventy = Statistics.wilson(140, 200);
        assertEquals(0.63321, seventy.low(), 1e-5);
        assertEquals(0.75926, seventy.high(), 1e-5);
        // 0/10 and 10/10: [0, 0.2775] and [0.7225, 1] (the interval stays inside [0, 1])
        assertEquals(0, Statistics.wilson(0, 10).low(), 1e-12);
        assertEquals(0.2775, Statistics.wilson(0, 10).high(), 5e-5);
        assertEquals(0.7225, Statistics.wilson(10, 10).low(), 5e-5);
        assertEquals(1, Statistics.wilson(10, 10).high(), 1e-12);
        assertEquals(new Statistics.Interval(0, 1), Statistics.wilson(0, 0));
    }

    @Test
    void mcnemarExactIsTheTwoSidedBinomialOfTheDiscordantPairs() {
        assertEquals(2 * (1 + 7) / 128.0, Statistics.mcnemarExact(1, 6), 1e-15);  // 0.125
        assertEquals(2 * (1 + 7) / 128.0, Statistics.mcnemarExact(6, 1), 1e-15);  // symmetric
        assertEquals(2 / 32.0, Statistics.mcnemarExact(0, 5), 1e-15);
        assertEquals(1, Statistics.mcnemarExact(5, 5), 1e-15);
        assertEquals(1, Statistics.mcnemarExact(0, 0), 1e-15);
        // large counts: against the sum done in exact arithmetic
        assertEquals(exactTwoSided(130, 170), Statistics.mcnemarExact(130, 170), 1e-12);
        assertEquals(exactTwoSided(9, 42), Statistics.mcnemarExact(42, 9), 1e-15);
    }

    @Test
    void percentileIsTheNearestRank() {
        List<Long> values = List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        assertEquals(5, Statistics.percentile(values, 50));
        assertEquals(10, Statistics.percentile(values, 95));
        assertEquals(7, Statistics.percentile(List.of(7L), 50));
        assertEquals(0, Statistics.percentile(List.of(), 50));
    }

    private static double exactTwoSided(int a, int b) {
        int n = a + b;
        BigInteger sum = BigInteger.ZERO;
        BigInteger choose = BigInteger.ONE;
        for (int i = 0; i <= Math.min(a, b); i++) {
            sum = sum.add(choose);
            choose = choose.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));
        }
        BigDecimal p = new BigDecimal(sum.shiftLeft(1)).divide(new BigDecimal(BigInteger.TWO.pow(n)), MathContext.DECIMAL128);
        return Math.min(1, p.doubleValue());
    }
}
