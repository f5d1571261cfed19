package dev.llmpool.ensemble;

/**
 * WEIGHTED: each answer scores its provider's configured weight × its live factor (recent success rate and
 * latency, see {@link ProviderStats}); identical answers add up; the highest total wins.
 */
public class WeightedStrategy extends VotingStrategy {

    private final ProviderStats stats;

    public WeightedStrategy(ProviderStats stats) {
        this.stats = stats;
    }

    @Override
    public Strategy kind() {
        return Strategy.WEIGHTED;
    }

    @Override
    protected AnswerGroups groups(Tally tally) {
        return new AnswerGroups(tally, a -> tally.weightOf(a.provider()) * stats.liveFactor(a.provider()));
    }

    @Override
    protected double maxOutstandingScore(Tally tally) {
        double sum = 0;
        for (var p : tally.plan().providers()) {
            if (tally.attempts().stream().noneMatch(a -> a.provider().equals(p.name()))) {
                sum += p.weight() * stats.liveFactor(p.name());
            }
        }
        return sum;
    }
}
