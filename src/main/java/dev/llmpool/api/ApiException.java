package dev.llmpool.api;

import java.util.Map;

/**
 * A failure the caller is told about: HTTP status, a stable machine-readable code, a message and, when one
 * field is to blame, its name. {@code details} carries extra machine-readable context (per-provider reasons,
 * consensus candidates).
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final String field;
    private final transient Map<String, Object> details;
    /** Response headers the caller gets with the error (WWW-Authenticate, Retry-After, RateLimit-*); every door sets them. */
    private final transient Map<String, String> headers;

    public ApiException(int status, String code, String message, String field, Map<String, Object> details) {
        this(status, code, message, field, details, null);
    }

    public ApiException(int status, String code, String message, String field, Map<String, Object> details,
                        Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
        this.details = details == null ? Map.of() : details;
        this.headers = headers == null ? Map.of() : headers;
    }

    public ApiException(int status, String code, String message, String field) {
        this(status, code, message, field, null);
    }

    public static ApiException invalid(String field, String message) {
        return new ApiException(400, "invalid_field", message, field);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String field() {
        return field;
    }

    public Map<String, Object> details() {
        return details;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
