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

    private Headers() {
    }
}
