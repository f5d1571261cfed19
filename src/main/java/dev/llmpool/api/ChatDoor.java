package dev.llmpool.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

import dev.llmpool.config.Limits;

/**
 * What the OpenAI- and Ollama-compatible doors share on the way in: reading the caller's JSON body, checking its
 * conversation, and handing the core route ({@code direct:infer}) a task API request. The doors translate only:
 * every check the task API makes (fields, limits, the task, the tenant) is the core route's, and its errors come
 * back to the door to be put in the door's shape.
 */
public final class ChatDoor {


    private ChatDoor() {
    }

    /** The request id the core route will use (the caller's X-Request-Id when sane), fixed here so that a stream's headers carry it. */
    public static String requestId(Exchange exchange) {
        String id = RequestContextProcessor.requestId(exchange.getIn().getHeader(Headers.REQUEST_ID, String.class));
        exchange.getIn().setHeader(Headers.REQUEST_ID, id);
        RequestState.of(exchange).setRequestId(id);  // for an error raised before the core route
        return id;
    }

    /** The body as a JSON object, or the task API's 400/413 for an empty, oversized, malformed or non-object body. */
    public static JsonNode readObject(Exchange exchange, ObjectMapper mapper, Limits limits) {
        byte[] body = exchange.getIn().getBody(byte[].class);
        if (body == null || body.length == 0) {
            throw new ApiException(400, "malformed_json", "missing request body; expected a JSON object", null);
        }
        if (body.length > limits.maxBodyBytes()) {
            throw new ApiException(413, "body_too_large",
                    "request body is " + body.length + " bytes; the limit is " + limits.maxBodyBytes(), null);
        }
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "malformed_json", "request body is not valid JSON: " + e.getOriginalMessage(), null);
        } catch (IOException e) {
            throw new ApiException(400, "malformed_json", "request body could not be read", null);
        }
        if (root == null || !root.isObject()) {
            throw new ApiException(400, "malformed_json", "request body must be a JSON object", null);
        }
        return root;
    }

    /** A required non-empty string field. */
    public static String requiredText(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.invalid(field, field + " is required");
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw ApiException.invalid(field, field + " must be a non-empty string");
        }
        return v.asText();
    }

    /** An optional boolean field; {@code absent} when left out or null. */
    public static boolean bool(JsonNode body, String field, boolean absent) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(field, field + " must be true or false");
        }
        return v.booleanValue();
    }

    /**
     * The conversation, checked: a non-empty array of {@code {role, content}} with a role from {@code roles} and a
     * string content (OpenAI's array of text parts is joined), and at least one user message.
     */
    public static List<ChatMessage> messages(JsonNode body, Set<String> roles, Limits limits) {
        JsonNode list = body.get("messages");
        if (list == null || list.isNull()) {
            throw ApiException.invalid("messages", "messages is required");
        }
        if (!list.isArray()) {
            throw ApiException.invalid("messages", "messages must be an array");
        }
        if (list.isEmpty()) {
            throw ApiException.invalid("messages", "messages must not be empty");
        }
        List<ChatMessage> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = list.get(i);
            if (!m.isObject()) {
                throw ApiException.invalid(at, at + " must be an object with role and content");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !roles.contains(role.asText())) {
                throw ApiException.invalid(at + ".role", at + ".role must be one of " + String.join(", ", new java.util.TreeSet<>(roles)));
            }
            out.add(new ChatMessage(role.asText(), content(m.get("content"), at + ".content")));
        }
        checkConversation(out, limits);
        return out;
    }

    /** A conversation needs a user message (the prompt), and its contents together fit max-prompt-bytes. */
    public static void checkConversation(List<ChatMessage> messages, Limits limits) {
        long bytes = 0;
        boolean user = false;
        for (ChatMessage m : messages) {
            bytes += m.content().getBytes(StandardCharsets.UTF_8).length;
            user |= m.role().equals("user");
        }
        if (!user) {
            throw ApiException.invalid("messages", "messages must contain a user message");
        }
        if (bytes > limits.maxPromptBytes()) {
            throw new ApiException(413, "prompt_too_large", "messages are " + bytes
                    + " bytes of content (UTF-8); the limit is " + limits.maxPromptBytes(), "messages");
        }
    }

    private static String content(JsonNode c, String field) {
        if (c == null || c.isNull()) {
            throw ApiException.invalid(field, field + " is required");
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {  // OpenAI's content parts: text only
            StringBuilder text = new StringBuilder();
            for (JsonNode part : c) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.invalid(field, field + " parts must be {\"type\":\"text\",\"text\":...}; "
                            + "images, audio and files are not supported");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw ApiException.invalid(field, field + " must be a string");
    }

    /** The content of the last user message: the task API's {@code prompt}, where the task's template goes. */
    /** The answer's finish reason as the backend gave it (the core's {@code finish_reason}); "stop" for an old cached one. */
    public static String finishReason(JsonNode answer) {
        return answer.path("finish_reason").asText("stop");
    }

    public static String lastUserContent(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).role().equals("user")) {
                return messages.get(i).content();
            }
        }
        throw new IllegalArgumentException("no user message");
    }

    /** A model name as the task or provider it names: Ollama's clients add {@code :latest} to names without a tag. */
    public static String taskName(String model) {
        return model.endsWith(":latest") ? model.substring(0, model.length() - ":latest".length()) : model;
    }

    /**
     * Makes the exchange the core route's request: {@code core} (a task API body) as the JSON body, the conversation
     * when it is more than the one user message (a single prompt is the task API's request exactly, and shares its
     * cache entries), and model names that may name a provider.
     */
    public static void enterCore(Exchange exchange, ObjectMapper mapper, String api, ObjectNode core,
                                 List<ChatMessage> conversation) throws JsonProcessingException {
        RequestState state = RequestState.of(exchange);
        state.setApi(api);
        state.setProviderTasks(true);
        if (conversation != null && !(conversation.size() == 1 && conversation.get(0).role().equals("user"))) {
            state.setMessages(List.copyOf(conversation));
        }
        exchange.getIn().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getIn().setBody(mapper.writeValueAsBytes(core));
    }
}
