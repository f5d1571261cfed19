package dev.llmpool.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The error body of the API a path belongs to, for errors made before or outside a door's route (an unknown path,
 * a wrong method, a body too large, a request Netty could not decode): paths under {@code /v1/chat/} and
 * {@code /v1/models} answer in OpenAI's shape {@code {"error":{"message","type","param","code"}}}, paths under
 * {@code /api/} in Ollama's {@code {"error":"message"}}, every other path in the task API's
 * {@code {"error":{"code","message"},"request_id"}}.
 */
public enum ErrorShape {
    TASK, OPENAI, OLLAMA;

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ErrorShape of(String path) {
        if (path == null) {
            return TASK;
        }
        if (path.startsWith("/v1/chat/") || path.equals("/v1/models") || path.startsWith("/v1/models/")) {
            return OPENAI;
        }
        if (path.startsWith("/api/")) {
            return OLLAMA;
        }
        return TASK;
    }

    /** The body; {@code message} must already be fit for a caller (no caller text unless capped by LogText). */
    public String body(int status, String code, String message, String requestId) {
        ObjectNode body = JSON.createObjectNode();
        switch (this) {
            case OPENAI -> {
                ObjectNode e = body.putObject("error");
                e.put("message", message).put("type", openAiType(status)).putNull("param").put("code", code);
            }
            case OLLAMA -> body.put("error", message);
            default -> {
                body.putObject("error").put("code", code).put("message", message);
                body.put("request_id", requestId);
            }
        }
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);  // a tree of strings always serialises
        }
    }

    /** OpenAI's error {@code type} for a status, as its own API names them. */
    static String openAiType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }
}
