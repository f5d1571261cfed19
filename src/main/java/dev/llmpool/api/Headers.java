package dev.llmpool.api;

/**
 * Names of the HTTP headers the API processors share. What a request carries from step to step is not here: it is
 * the request's {@link RequestState}.
 */
public final class Headers {
    public static final String REQUEST_ID = "X-Request-Id";

    private Headers() {
    }
}
