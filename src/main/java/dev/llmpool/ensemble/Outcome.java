package dev.llmpool.ensemble;

import java.util.List;
import java.util.Map;

import dev.llmpool.providers.ProviderReply;

/**
 * The decided answer of an ensemble and how it was reached. {@code votes}, {@code agreement} and
 * {@code judge} are null when the strategy has none.
 */
public record Outcome(
        ProviderReply winner,
        Strategy strategy,
        List<String> modelsQueried,
        boolean hedged,
        Map<String, Integer> votes,
        Double agreement,
        Map<String, Object> judge,
        long promptTokens,
        long completionTokens) {

    public Outcome withQueried(List<String> models, boolean wasHedged) {
        return new Outcome(winner, strategy, models, wasHedged, votes, agreement, judge, promptTokens, completionTokens);
    }
}
