package dev.llmpool.ensemble;

import java.util.List;

/**
 * VOTING: every provider answers; the most common normalised answer wins, ties to the higher provider
 * weight. Decided early once the leader cannot be caught by the answers still outstanding. At the deadline it
 * decides on what arrived if at least two providers answered (quorum).
 */
public class VotingStrategy extends EnsembleStrategy {

    @Override
    public Strategy kind() {
        return Strategy.VOTING;
    }

    protected AnswerGroups groups(Tally tally) {
        return new AnswerGroups(tally, a -> 1.0);
    }

    @Override
    public boolean isDecided(Tally tally) {
        AnswerGroups g = groups(tally);
        return !g.isEmpty() && g.top().score() > g.secondScore() + maxOutstandingScore(tally);
    }

    /** The most score the providers still outstanding could add to one answer. */
    protected double maxOutstandingScore(Tally tally) {
        return tally.outstanding();
    }

    @Override
    public Outcome decide(Tally tally, boolean deadlineReached) {
        AnswerGroups g = groups(tally);
        if (g.isEmpty() || (deadlineReached && tally.successes().size() < 2)) {
            throw noAnswer(tally, deadlineReached);
        }
        return outcome(tally, g);
    }

    protected Outcome outcome(Tally tally, AnswerGroups g) {
        Attempt winner = g.top().representative(tally);
        return new Outcome(winner.reply(), kind(), List.of(), false, g.votes(), g.agreement(), null,
                UsageTotal.of(tally));
    }
}
