package dev.llmpool.api;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The core route's answer as a door reads it back: the HTTP status and the task API's JSON body (the 200 body, an
 * idempotent replay of one, or the error body {@code {"error":{code,message,field},"request_id"}}), with the
 * headers a door passes on.
 */
public record CoreReply(int status, JsonNode body, String requestId, String retryAfter, String replayed) {

    private static final java.util.List<String> ACCESS_HEADERS = java.util.List.of("WWW-Authenticate", "RateLimit-Limit",
            "RateLimit-Remaining", "RateLimit-Reset");

    public static CoreReply of(Exchange exchange, ObjectMapper mapper) {
        Message m = exchange.getMessage();
        int status = m.getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class);
        String text = m.getBody(String.class);
        JsonNode body;
        try {
            body = text == null ? mapper.createObjectNode() : mapper.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("the core route's answer is not JSON", e);
        }
        String requestId = m.getHeader(Headers.REQUEST_ID, String.class);
        if (requestId == null) {
            requestId = RequestState.of(exchange).requestId();
        }
        return new CoreReply(status, body, requestId, m.getHeader("Retry-After", String.class),
                m.getHeader("Idempotent-Replayed", String.class));
    }

    public boolean ok() {
        return status == 200;
    }

    /** The error's machine-readable code ({@code invalid_field}, {@code unknown_task}...). */
    public String errorCode() {
        return body.path("error").path("code").asText("internal_error");
    }

    public String errorMessage() {
        return body.path("error").path("message").asText("error");
    }

    /** The field to blame, as the task API names it; null when none. */
    public String errorField() {
        JsonNode f = body.path("error").get("field");
        return f == null || f.isNull() ? null : f.asText();
    }

    /** Sets a JSON reply with the headers a door passes on (request id, Retry-After, Idempotent-Replayed). */
    public void reply(Exchange exchange, int status, String contentType, String json) {
        java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put(Headers.REQUEST_ID, requestId);
        if (retryAfter != null) {
            headers.put("Retry-After", retryAfter);
        }
        if (replayed != null) {
            headers.put("Idempotent-Replayed", replayed);
        }
        for (String name : ACCESS_HEADERS) {  // a 401's challenge, a 429's limits (dev.llmpool.auth)
            String value = exchange.getMessage().getHeader(name, String.class);
            if (value != null) {
                headers.put(name, value);
            }
        }
        HttpReply.set(exchange, status, contentType, json, headers);
    }
}
