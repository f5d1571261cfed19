package dev.llmpool.api;

/** Names of exchange headers and properties shared by the API processors and routes. */
public final class Headers {
    public static final String REQUEST_ID = "X-Request-Id";
    /** Exchange property: the request id, kept after headers are cleared. */
    public static final String REQUEST_ID_PROPERTY = "llmpool.requestId";
    /** Exchange property: System.nanoTime() when the request arrived. */
    public static final String STARTED_NANOS = "llmpool.startedNanos";
    /** Exchange property: the parsed {@link InferRequest}. */
    public static final String REQUEST = "llmpool.request";
    /** Exchange property: the caller's Idempotency-Key header, kept after headers are cleared. */
    public static final String IDEMPOTENCY_KEY = "llmpool.idempotencyKey";
    /** Exchange property: the caller's Cache-Control header, kept after headers are cleared. */
    public static final String CACHE_CONTROL = "llmpool.cacheControl";
    /**
     * Exchange property: true once the request's answer is known without the ensemble (a cache hit, an identical
     * request waited for, an idempotent replay). A plain flag, so the route's choice never compares (and prints)
     * the answer itself.
     */
    public static final String ANSWERED = "llmpool.answered";
    /** Exchange property: true when the answer came from the response cache. */
    public static final String FROM_CACHE = "llmpool.fromCache";
    /** Exchange property: the earlier response body replayed for the same Idempotency-Key and body. */
    public static final String REPLAY = "llmpool.replay";
    /** Exchange property: the request id of the response being replayed. */
    public static final String REPLAY_REQUEST_ID = "llmpool.replayRequestId";

    /** Exchange property: the tenant the request is served for (dev.llmpool.auth); "default" when auth is off. */
    public static final String TENANT = "llmpool.tenant";

    private Headers() {
    }
}
