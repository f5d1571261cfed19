package dev.llmpool.ensemble;

import java.util.List;
import java.util.Map;

import dev.llmpool.api.ApiException;

/**
 * CONSENSUS: VOTING that succeeds only when the winning answer's share of the answers reaches the task's
 * threshold; otherwise 422 with every candidate. Decided early once success or failure is certain.
 */
public class ConsensusStrategy extends VotingStrategy {

    @Override
    public Strategy kind() {
        return Strategy.CONSENSUS;
    }

    @Override
    public boolean isDecided(Tally tally) {
        AnswerGroups g = groups(tally);
        if (g.isEmpty()) {
            return false;
        }
        int answered = tally.successes().size();
        int outstanding = tally.outstanding();
        double threshold = tally.plan().consensusThreshold();
        boolean winnerFixed = super.isDecided(tally);
        boolean successCertain = (double) g.top().votes() / (answered + outstanding) >= threshold;
        boolean failureCertain = (double) (g.top().votes() + outstanding) / (answered + outstanding) < threshold;
        return winnerFixed && successCertain || failureCertain;
    }

    @Override
    public Outcome decide(Tally tally, boolean deadlineReached) {
        Outcome voted = super.decide(tally, deadlineReached);
        if (voted.agreement() >= tally.plan().consensusThreshold()) {
            return voted;
        }
        List<Map<String, Object>> candidates = tally.successes().stream()
                .map(a -> Map.<String, Object>of("provider", a.provider(), "model", a.model(),
                        "content", a.reply().content()))
                .toList();
        throw new ApiException(422, "consensus_not_reached", String.format(
                "agreement %.2f is below the threshold %.2f", voted.agreement(), tally.plan().consensusThreshold()),
                null, Map.of("agreement", voted.agreement(), "threshold", tally.plan().consensusThreshold(),
                "candidates", candidates, "votes", voted.votes()));
    }
}
