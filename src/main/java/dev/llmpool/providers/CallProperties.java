package dev.llmpool.providers;

/**
 * Names of the exchange properties that belong to one backend call, not to its request: the exchange a provider
 * route runs for one call carries them (the race's call exchanges, a JUDGE candidate's copy of the request, the
 * judge's own call). What the request carries is {@link dev.llmpool.api.RequestState}, shared by all of its calls.
 * <p>
 * These stay exchange properties on purpose: a Multicast branch is a copy of the request's exchange, and a copied
 * property map gives each branch its own entries, where one shared object would let the candidates overwrite each
 * other's replica, send time or connection.
 */
public final class CallProperties {

    /** The {@link ProviderCall}: provider, prompt, budget. */
    public static final String CALL = "llmpool.call";
    /** The provider's name, when a sender names the provider instead of preparing the call (the JUDGE candidates). */
    public static final String PROVIDER = "llmpool.provider";
    /** Optional absolute {@code System.nanoTime()} deadline for this call, earlier than the request's (JUDGE candidates). */
    public static final String BRANCH_DEADLINE = "llmpool.branchDeadline";
    /** The {@link CallHandle} its sender ends the call with (a loser of the race). */
    public static final String CALL_HANDLE = "llmpool.callHandle";
    /** Boolean: the request already has a call running, so this one queues behind first calls (a hedge, a fan-out call). */
    public static final String EXTRA_CALL = "llmpool.extraCall";
    /** The base URL of the replica the call's permit was taken on (set by the provider's guard). */
    public static final String REPLICA_URL = "llmpool.replicaUrl";
    /** {@code System.nanoTime()} when the race fired the call. */
    public static final String FIRED_NANOS = "llmpool.firedNanos";
    /** {@code System.nanoTime()} when the request was sent to the backend. */
    public static final String SENT_NANOS = "llmpool.sentNanos";
    /** The Vert.x request in flight, so that ending the call can reset it. */
    public static final String WIRE_REQUEST = "llmpool.wireRequest";
    /** The timer that cuts the call at its budget. */
    public static final String CUT_TIMER = "llmpool.cutTimer";
    /** With tracing on: the call's span as a W3C traceparent, sent to the backend. */
    public static final String TRACEPARENT = "llmpool.callTraceparent";
    /** The consumer of the call's tokens as generated (a streamed call); the provider route's choice tests it. */
    public static final String TOKENS = "llmpool.tokens";
    /** The answer's embedding (a {@code float[]}) when the task groups answers by meaning. */
    public static final String ANSWER_EMBEDDING = "llmpool.answerEmbedding";

    private CallProperties() {
    }
}
