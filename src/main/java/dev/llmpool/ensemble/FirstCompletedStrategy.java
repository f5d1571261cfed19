package dev.llmpool.ensemble;

import java.util.List;

import dev.llmpool.routing.Plan;

/**
 * FASTEST: providers are tried in order of preference; the first good answer wins. Starts with one provider;
 * {@link Race} fires the next when a call fails, or when the task's hedge delay passes with no answer.
 */
public class FirstCompletedStrategy extends EnsembleStrategy {

    @Override
    public Strategy kind() {
        return Strategy.FASTEST;
    }

    @Override
    public int initialFanOut(Plan plan) {
        return 1;
    }

    @Override
    public boolean isDecided(Tally tally) {
        return !tally.successes().isEmpty();
    }

    @Override
    public Outcome decide(Tally tally, boolean deadlineReached) {
        List<Attempt> ok = tally.successes();
        if (ok.isEmpty()) {
            throw noAnswer(tally, deadlineReached);
        }
        return single(kind(), ok.get(0).reply(), tally);
    }
}
