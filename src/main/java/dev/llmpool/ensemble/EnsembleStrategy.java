package dev.llmpool.ensemble;

import dev.llmpool.providers.CallProperties;
import java.util.List;
import java.util.Map;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.RequestState;
import dev.llmpool.providers.ProviderCall;
import dev.llmpool.providers.ProviderReply;
import dev.llmpool.routing.Plan;

/**
 * The base of every strategy: a Camel {@link AggregationStrategy} whose aggregate is a {@link Tally} of
 * provider attempts. Because it is a plain AggregationStrategy it can sit behind a Multicast; because it
 * answers {@link #preComplete} it can also tell {@link Race} when the outcome is decided and the request
 * may complete before the slow providers do (Multicast in 4.17 never asks).
 */
public abstract class EnsembleStrategy implements AggregationStrategy {

    public static final String TALLY = "llmpool.tally";

    /** The strategy this class implements. */
    public abstract Strategy kind();

    /** Given the attempts so far, can further answers no longer change the outcome? */
    public abstract boolean isDecided(Tally tally);

    /**
     * The final answer from the attempts gathered. Throws {@link ApiException} when there is none
     * (503 all failed, 504 deadline, 422 no consensus).
     */
    public abstract Outcome decide(Tally tally, boolean deadlineReached);

    /** How many providers to call at once; the rest are fired as failures or hedges require. */
    public int initialFanOut(Plan plan) {
        return plan.providers().size();
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        Attempt attempt = attemptOf(newExchange);
        Exchange result = oldExchange != null ? oldExchange : newExchange;
        Tally tally = result.getProperty(TALLY, Tally.class);
        if (tally == null) {
            tally = new Tally(RequestState.of(newExchange).plan());
            result.setProperty(TALLY, tally);
        }
        tally.add(attempt);
        // A failed branch is a recorded attempt, not a failure of the whole ensemble (Multicast would rethrow it).
        result.setException(null);
        return result;
    }

    @Override
    public boolean canPreComplete() {
        return true;
    }

    /** Camel's meaning: the group so far is complete, so {@code newExchange} need not be waited for. */
    @Override
    public boolean preComplete(Exchange oldExchange, Exchange newExchange) {
        Tally tally = oldExchange == null ? null : oldExchange.getProperty(TALLY, Tally.class);
        return tally != null && isDecided(tally);
    }

    static Attempt attemptOf(Exchange branch) {
        ProviderCall call = branch.getProperty(CallProperties.CALL, ProviderCall.class);
        String provider = call != null ? call.provider().name()
                : branch.getProperty(CallProperties.PROVIDER, "unknown", String.class);
        String model = call != null ? call.provider().model() : null;
        Exception e = branch.getException();
        if (e == null && branch.getIn().getBody() instanceof ProviderReply reply) {
            ProviderReply answer = withFinishReason(reply, call);
            return new Attempt(provider, model, answer, call == null ? null : FormatCheck.problem(call.format(), answer),
                    branch.getProperty(CallProperties.ANSWER_EMBEDDING, float[].class));
        }
        return new Attempt(provider, model, null, FailureReasons.describe(e));
    }

    static ApiException invalidOutput(Map<String, Object> details) {
        return new ApiException(502, "invalid_model_output", "no provider gave an answer in the format asked for",
                null, details);
    }

    /**
     * The backend's own finish reason; derived only when it gave none: "length" when the answer used up the
     * call's token budget, "stop" otherwise.
     */
    private static ProviderReply withFinishReason(ProviderReply r, ProviderCall call) {
        if (r.finishReason() != null) {
            return r;
        }
        String derived = call != null && r.completionTokens() >= call.maxTokens() ? "length" : "stop";
        return new ProviderReply(r.provider(), r.model(), r.content(), r.promptTokens(), r.completionTokens(),
                r.latencyMs(), derived);
    }

    /**
     * The error when no answer can be given: 504 if the clock ran out first; else 502 when a backend answered but
     * not in the format asked for; else 503. Each names every provider's reason.
     */
    protected static ApiException noAnswer(Tally tally, boolean deadlineReached) {
        Map<String, Object> details = Map.of("providers", deadlineReached ? tally.failuresAtDeadline() : tally.failures());
        if (deadlineReached) {
            return new ApiException(504, "deadline_exceeded", "no answer within the deadline of "
                    + (tally.plan().deadlineNanos() - tally.plan().startedNanos()) / 1_000_000 + " ms", null, details);
        }
        if (tally.attempts().stream().anyMatch(Attempt::invalidOutput)) {
            return invalidOutput(details);
        }
        return new ApiException(503, "no_provider_available", "no provider could answer", null, details);
    }

    /** An outcome with one chosen answer; the usage total counts every answer the tally holds. */
    protected static Outcome single(Strategy kind, ProviderReply winner, Tally tally) {
        return new Outcome(winner, kind, List.of(), false, null, null, null, UsageTotal.of(tally));
    }
}
