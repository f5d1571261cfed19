package dev.llmpool.ensemble;

import dev.llmpool.providers.ProviderReply;

/**
 * The tokens of every backend call a request caused, as the backends reported them: each answer that arrived
 * (losers, voters, answers rejected as invalid output) and the judge's call. What a request really cost, where
 * {@link Outcome#promptTokens()} is the answer's own; the tenant's budget is charged from it when the request ends.
 */
public record UsageTotal(long promptTokens, long completionTokens) {

    public static final UsageTotal NONE = new UsageTotal(0, 0);

    /** Every reply the tally holds. */
    public static UsageTotal of(Tally tally) {
        UsageTotal total = NONE;
        for (Attempt a : tally.attempts()) {
            if (a.reply() != null) {
                total = total.plus(a.reply());
            }
        }
        return total;
    }

    public UsageTotal plus(ProviderReply reply) {
        return new UsageTotal(promptTokens + reply.promptTokens(), completionTokens + reply.completionTokens());
    }

    public long tokens() {
        return promptTokens + completionTokens;
    }

}
