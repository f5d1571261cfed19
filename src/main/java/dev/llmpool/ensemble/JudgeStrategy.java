package dev.llmpool.ensemble;

import java.util.Comparator;
import java.util.List;

/**
 * JUDGE's candidate gathering: the AggregationStrategy of the {@code gather-candidates} recipient list (a
 * Multicast, since every candidate is wanted up to the gathering deadline). Without a verdict it answers with
 * the best candidate by provider weight; {@link JudgeVerdict} overrides that with the judge's choice.
 */
public class JudgeStrategy extends EnsembleStrategy {

    @Override
    public Strategy kind() {
        return Strategy.JUDGE;
    }

    @Override
    public boolean isDecided(Tally tally) {
        return false; // every candidate is wanted
    }

    @Override
    public Outcome decide(Tally tally, boolean deadlineReached) {
        List<Attempt> ok = candidates(tally);
        if (ok.isEmpty()) {
            throw noAnswer(tally, deadlineReached);
        }
        Attempt best = ok.stream().max(Comparator.comparingDouble(a -> tally.weightOf(a.provider()))).orElseThrow();
        return single(kind(), best.reply(), tally);
    }

    /** The successful candidates in the task's provider order: the numbering the judge sees. */
    static List<Attempt> candidates(Tally tally) {
        return tally.plan().providers().stream()
                .flatMap(p -> tally.successes().stream().filter(a -> a.provider().equals(p.name())).limit(1))
                .toList();
    }
}
