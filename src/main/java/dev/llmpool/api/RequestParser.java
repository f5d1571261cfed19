package dev.llmpool.api;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.config.Limits;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.ensemble.Strategy;

/**
 * Turns the HTTP body into an {@link InferRequest}, or fails with the contract's 4xx: 415 not JSON,
 * 413 too large, 400 malformed JSON or an invalid field (named), 404 unknown task.
 */
public class RequestParser implements Processor {

    private static final Set<String> FIELDS = Set.of(
            "task", "prompt", "max_tokens", "deadline_ms", "strategy", "temperature", "format", "cache");

    private final ObjectMapper mapper;

    public RequestParser(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) {
        PoolConfig config = exchange.getProperty(RequestContextProcessor.CONFIG, PoolConfig.class);
        String contentType = exchange.getIn().getHeader(Exchange.CONTENT_TYPE, String.class);
        if (contentType == null || !contentType.regionMatches(true, 0, "application/json", 0, 16)) {
            throw new ApiException(415, "unsupported_media_type",
                    "Content-Type must be application/json, got " + (contentType == null ? "none" : "'" + contentType + "'"),
                    null);
        }
        byte[] body = exchange.getIn().getBody(byte[].class);
        InferRequest request = parse(body, config.limits());
        if (config.task(request.task()) == null) {
            throw new ApiException(404, "unknown_task", "unknown task '" + request.task() + "' (known: "
                    + String.join(", ", new java.util.TreeSet<>(config.tasks().keySet())) + ")", "task");
        }
        // Caller headers must never travel further (Authorization!); the request is now an object.
        exchange.getIn().getHeaders().clear();
        exchange.getIn().setBody(null);
        exchange.setProperty(Headers.REQUEST, request);
    }

    InferRequest parse(byte[] body, Limits limits) {
        if (body == null || body.length == 0) {
            throw new ApiException(400, "malformed_json", "request body is empty; expected a JSON object", null);
        }
        if (body.length > limits.maxBodyBytes()) {
            throw new ApiException(413, "body_too_large",
                    "request body is " + body.length + " bytes; the limit is " + limits.maxBodyBytes(), null);
        }
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "malformed_json", "request body is not valid JSON: "
                    + e.getOriginalMessage(), null);
        } catch (java.io.IOException e) {
            throw new ApiException(400, "malformed_json", "request body could not be read", null);
        }
        if (root == null || !root.isObject()) {
            throw new ApiException(400, "malformed_json", "request body must be a JSON object", null);
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) {
                throw ApiException.invalid(name, "unknown field '" + name + "'");
            }
        }
        String task = requiredText(root, "task");
        String prompt = requiredText(root, "prompt");
        int promptBytes = prompt.getBytes(StandardCharsets.UTF_8).length;
        if (promptBytes > limits.maxPromptBytes()) {
            throw new ApiException(413, "prompt_too_large", "prompt is " + promptBytes
                    + " bytes (UTF-8); the limit is " + limits.maxPromptBytes(), "prompt");
        }
        Integer maxTokens = positiveInt(root, "max_tokens");
        Long deadline = positiveLong(root, "deadline_ms");
        if (deadline != null && deadline > limits.maxDeadlineMs()) {
            throw ApiException.invalid("deadline_ms", "deadline_ms must be <= " + limits.maxDeadlineMs());
        }
        Strategy strategy = null;
        JsonNode s = root.get("strategy");
        if (s != null && !s.isNull()) {
            strategy = Strategy.parse(s.isTextual() ? s.asText() : null).orElseThrow(() -> ApiException.invalid(
                    "strategy", "strategy must be one of FASTEST, VOTING, WEIGHTED, CONSENSUS, JUDGE"));
        }
        Double temperature = null;
        JsonNode t = root.get("temperature");
        if (t != null && !t.isNull()) {
            if (!t.isNumber() || t.asDouble() < 0 || t.asDouble() > 2) {
                throw ApiException.invalid("temperature", "temperature must be a number from 0 to 2");
            }
            temperature = t.asDouble();
        }
        JsonNode format = root.get("format");
        if (format != null && !format.isNull()) {
            boolean json = format.isTextual() && format.asText().equals("json");
            if (!json && !format.isObject()) {
                throw ApiException.invalid("format", "format must be \"json\" or a JSON schema object");
            }
        } else {
            format = null;
        }
        boolean cache = true;
        JsonNode c = root.get("cache");
        if (c != null && !c.isNull()) {
            if (!c.isBoolean()) {
                throw ApiException.invalid("cache", "cache must be true or false");
            }
            cache = c.asBoolean();
        }
        return new InferRequest(task, prompt, maxTokens, deadline, strategy, temperature, format, cache);
    }

    private static String requiredText(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            throw ApiException.invalid(field, field + " is required");
        }
        if (!n.isTextual()) {
            throw ApiException.invalid(field, field + " must be a string");
        }
        if (n.asText().isBlank()) {
            throw ApiException.invalid(field, field + " must not be empty");
        }
        return n.asText();
    }

    private static Integer positiveInt(JsonNode root, String field) {
        Long v = positiveLong(root, field);
        if (v != null && v > Integer.MAX_VALUE) {
            throw ApiException.invalid(field, field + " is too large");
        }
        return v == null ? null : v.intValue();
    }

    private static Long positiveLong(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() <= 0) {
            throw ApiException.invalid(field, field + " must be an integer > 0");
        }
        return n.asLong();
    }
}
