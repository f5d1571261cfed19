package dev.llmpool.grpc;

import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Duration;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

import dev.llmpool.logging.LogText;

/**
 * The contract's errors as gRPC statuses: one table from the HTTP status the core route answered to a gRPC code,
 * and the error body carried over as the description, plain trailers and standard {@code google.rpc} details.
 */
public final class GrpcStatusMapping {

    static final String DOMAIN = "llmpool";
    static final Metadata.Key<String> REQUEST_ID = key("x-request-id");
    static final Metadata.Key<String> ERROR_CODE = key("llmpool-error-code");
    static final Metadata.Key<String> ERROR_FIELD = key("llmpool-error-field");

    private GrpcStatusMapping() {
    }

    /**
     * 413 (body or prompt too large) is INVALID_ARGUMENT, not RESOURCE_EXHAUSTED: the same request can never
     * succeed, and clients retry RESOURCE_EXHAUSTED, which is kept for rate limiting (429). 422 (no consensus)
     * is ABORTED: the request was valid and the models disagreed; a retry, another strategy or temperature may
     * agree, which is ABORTED's "retry at a higher level" rather than FAILED_PRECONDITION's "fix the system first".
     */
    public static Status.Code codeFor(int httpStatus) {
        return switch (httpStatus) {
            case 200 -> Status.Code.OK;
            case 400, 413, 415 -> Status.Code.INVALID_ARGUMENT;
            case 401 -> Status.Code.UNAUTHENTICATED;
            case 403 -> Status.Code.PERMISSION_DENIED;
            case 404 -> Status.Code.NOT_FOUND;
            case 422 -> Status.Code.ABORTED;
            case 429 -> Status.Code.RESOURCE_EXHAUSTED;
            case 499 -> Status.Code.CANCELLED;
            case 502, 503 -> Status.Code.UNAVAILABLE; // 502: no backend answered in the format asked for
            case 504 -> Status.Code.DEADLINE_EXCEEDED;
            case 500 -> Status.Code.INTERNAL;
            default -> Status.Code.UNKNOWN;
        };
    }

    /** The contract's error body {@code {"error":{code,message,field,...},"request_id"}} as a gRPC failure. */
    static StatusRuntimeException toException(int httpStatus, JsonNode body) {
        return toException(httpStatus, body, 1);
    }

    /** As above; a 429's or 503's RetryInfo says to wait {@code retryAfterSeconds} (the HTTP answer's Retry-After). */
    static StatusRuntimeException toException(int httpStatus, JsonNode body, long retryAfterSeconds) {
        JsonNode error = body.path("error");
        String code = error.path("code").asText("error");
        // bounded: trailers travel in HTTP/2 headers, and a client's header limit (8 KiB by default) is easily passed
        String message = LogText.of(error.path("message").asText(""), 1000);
        String field = error.hasNonNull("field") ? trailerText(error.get("field").asText()) : null;
        String requestId = body.path("request_id").asText("");
        Status.Code grpcCode = codeFor(httpStatus);

        ErrorInfo.Builder info = ErrorInfo.newBuilder().setReason(code).setDomain(DOMAIN).putMetadata("request_id", requestId);
        if (field != null) {
            info.putMetadata("field", field);
        }
        // The body's other details: per-provider reasons of a 503/504 as provider.<name>; the rest (422's
        // candidates and votes) as JSON text.
        for (Map.Entry<String, JsonNode> e : iterable(error)) {
            if (e.getKey().equals("providers")) {
                iterable(e.getValue()).forEach(p -> info.putMetadata("provider." + p.getKey(),
                        LogText.of(p.getValue().asText())));
            } else if (!Set.of("code", "message", "field").contains(e.getKey())) {
                info.putMetadata(e.getKey(), LogText.of(e.getValue().isTextual() ? e.getValue().asText()
                        : e.getValue().toString(), 1000));
            }
        }
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
                .setCode(grpcCode.value())
                .setMessage(field != null ? message + " (field: " + field + ")" : message)
                .addDetails(com.google.protobuf.Any.pack(info.build()));
        if (field != null) {
            status.addDetails(com.google.protobuf.Any.pack(BadRequest.newBuilder().addFieldViolations(
                    BadRequest.FieldViolation.newBuilder().setField(field).setDescription(message)).build()));
        }
        if (httpStatus == 429 || httpStatus == 503) {
            status.addDetails(com.google.protobuf.Any.pack(
                    RetryInfo.newBuilder().setRetryDelay(Duration.newBuilder().setSeconds(Math.max(1, retryAfterSeconds))).build()));
        }
        Metadata trailers = new Metadata();
        trailers.put(REQUEST_ID, trailerText(requestId));
        trailers.put(ERROR_CODE, trailerText(code));
        if (field != null) {
            trailers.put(ERROR_FIELD, field);
        }
        return StatusProto.toStatusRuntimeException(status.build(), trailers);
    }

    /** Printable ASCII (what an ASCII trailer may hold), at most 100 characters. */
    private static String trailerText(String s) {
        StringBuilder out = new StringBuilder(Math.min(s.length(), 100));
        for (int i = 0; i < s.length() && out.length() < 100; i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode node) {
        return node::fields;
    }

    private static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
