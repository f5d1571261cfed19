package dev.llmpool.ensemble;

import java.util.List;
import java.util.Map;

import dev.llmpool.providers.ProviderReply;

/**
 * The decided answer of an ensemble and how it was reached. {@code votes}, {@code agreement} and
 * {@code judge} are null when the strategy has none. {@code usageTotal} is every backend call the request caused;
 * the answer's own usage is its winner's.
 */
public record Outcome(
        ProviderReply winner,
        Strategy strategy,
        List<String> modelsQueried,
        boolean hedged,
        Map<String, Integer> votes,
        Double agreement,
        Map<String, Object> judge,
        UsageTotal usageTotal) {

    public Outcome withQueried(List<String> models, boolean wasHedged) {
        return new Outcome(winner, strategy, models, wasHedged, votes, agreement, judge, usageTotal);
    }

    /** The answer's own prompt tokens (its provider's call). */
    public long promptTokens() {
        return winner.promptTokens();
    }

    /** The answer's own completion tokens (its provider's call). */
    public long completionTokens() {
        return winner.completionTokens();
    }
}
