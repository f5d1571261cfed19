package dev.llmpool.api;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.config.Limits;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.ensemble.Strategy;
import dev.llmpool.logging.LogText;

/**
 * Turns the HTTP body into an {@link InferRequest}, or fails with the contract's 4xx: 415 not JSON,
 * 413 too large, 400 malformed JSON or an invalid field (named), 404 unknown task.
 */
public class RequestParser implements Processor {

    private final ObjectMapper mapper;

    public RequestParser(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) {
        RequestState state = RequestState.of(exchange);
        PoolConfig config = state.config();
        String contentType = exchange.getIn().getHeader(Exchange.CONTENT_TYPE, String.class);
        if (!MediaTypes.isJson(contentType)) {
            throw new ApiException(415, "unsupported_media_type",
                    "Content-Type must be application/json, got " + (contentType == null ? "none" : "'"
                            + LogText.of(contentType, 100) + "'"), null);
        }
        byte[] body = exchange.getIn().getBody(byte[].class);
        InferRequest request = parse(body, config.limits());
        @SuppressWarnings("unchecked")
        java.util.List<ChatMessage> conversation = state.messages();
        if (conversation != null) {  // a door's conversation; prompt is its last user message
            request = request.withMessages(conversation);
        }
        if (config.task(request.task()) == null) {
            // the known tasks are not listed: a caller may not be allowed to see them all
            throw new ApiException(404, "unknown_task", "unknown task '" + LogText.of(request.task(), 100) + "'", "task");
        }
        // Caller headers must never travel further (Authorization!); the request is now an object.
        exchange.getIn().getHeaders().clear();
        exchange.getIn().setBody(null);
        state.setRequest(request);
    }

    InferRequest parse(byte[] body, Limits limits) {
        if (body == null || body.length == 0) {
            throw new ApiException(400, "malformed_json", "request body is empty; expected a JSON object", null);
        }
        if (body.length > limits.maxBodyBytes()) {
            throw new ApiException(413, "body_too_large",
                    "request body is " + body.length + " bytes; the limit is " + limits.maxBodyBytes(), null);
        }
        Fields f = read(body);
        if (f.unknown != null) {
            String name = LogText.of(f.unknown, 100);
            throw ApiException.invalid(name, "unknown field '" + name + "'");
        }
        String task = requiredText(f.task, "task");
        String prompt = requiredText(f.prompt, "prompt");
        int promptBytes = utf8Length(prompt);
        if (promptBytes > limits.maxPromptBytes()) {
            throw new ApiException(413, "prompt_too_large", "prompt is " + promptBytes
                    + " bytes (UTF-8); the limit is " + limits.maxPromptBytes(), "prompt");
        }
        Integer maxTokens = positiveInt(f.maxTokens, "max_tokens");
        Long deadline = positiveLong(f.deadlineMs, "deadline_ms");
        if (deadline != null && deadline > limits.maxDeadlineMs()) {
            throw ApiException.invalid("deadline_ms", "deadline_ms must be <= " + limits.maxDeadlineMs());
        }
        Strategy strategy = null;
        if (f.strategy != null && f.strategy != NULL) {
            strategy = Strategy.parse(f.strategy instanceof String text ? text : null).orElseThrow(() -> ApiException.invalid(
                    "strategy", "strategy must be one of FASTEST, VOTING, WEIGHTED, CONSENSUS, JUDGE"));
        }
        Double temperature = null;
        if (f.temperature != null && f.temperature != NULL) {
            if (!(f.temperature instanceof Number t) || t.doubleValue() < 0 || t.doubleValue() > 2) {
                throw ApiException.invalid("temperature", "temperature must be a number from 0 to 2");
            }
            temperature = t.doubleValue();
        }
        JsonNode format = null;
        if (f.format != null && f.format != NULL) {
            if ("json".equals(f.format)) {
                format = TextNode.valueOf("json");
            } else if (f.format instanceof ObjectNode schema) {
                format = schema;
            } else {
                throw ApiException.invalid("format", "format must be \"json\" or a JSON schema object");
            }
        }
        if (f.stream != null && f.stream != NULL && !(f.stream instanceof Boolean)) {
            throw ApiException.invalid("stream", "stream must be true or false");
        }
        boolean cache = true;
        if (f.cache != null && f.cache != NULL) {
            if (!(f.cache instanceof Boolean b)) {
                throw ApiException.invalid("cache", "cache must be true or false");
            }
            cache = b;
        }
        return new InferRequest(task, prompt, maxTokens, deadline, strategy, temperature, format, cache, null,
                sampling(f));
    }

    /** {@code top_p} (0 to 1), {@code stop} (a string or up to 4 strings), {@code seed} (an integer). */
    private static Sampling sampling(Fields f) {
        Double topP = null;
        if (f.topP != null && f.topP != NULL) {
            if (!(f.topP instanceof Number t) || t.doubleValue() < 0 || t.doubleValue() > 1) {
                throw ApiException.invalid("top_p", "top_p must be a number from 0 to 1");
            }
            topP = t.doubleValue();
        }
        List<String> stop = null;
        if (f.stop != null && f.stop != NULL) {
            if (f.stop instanceof String one) {
                stop = List.of(one);
            } else if (f.stop instanceof JsonNode many && many.isArray() && many.size() <= MAX_STOP
                    && allText(many)) {
                stop = new ArrayList<>();
                for (JsonNode s : many) {
                    stop.add(s.asText());
                }
                stop = List.copyOf(stop);
            } else {
                throw ApiException.invalid("stop", "stop must be a string or an array of up to " + MAX_STOP + " strings");
            }
        }
        Long seed = null;
        if (f.seed != null && f.seed != NULL) {
            if (!(f.seed instanceof Integer || f.seed instanceof Long)) {
                throw ApiException.invalid("seed", "seed must be an integer");
            }
            seed = ((Number) f.seed).longValue();
        }
        return new Sampling(topP, stop, seed);
    }

    /** As OpenAI's API allows. */
    private static final int MAX_STOP = 4;

    private static boolean allText(JsonNode array) {
        for (JsonNode n : array) {
            if (!n.isTextual()) {
                return false;
            }
        }
        return true;
    }

    /** JSON null, as opposed to a field left out (Java null). */
    private static final Object NULL = new Object();

    /**
     * The body's fields as read: a String, Number or Boolean for a scalar, {@link #NULL}, or a JsonNode for an
     * object or array (only {@code format} may be one). The last of duplicate fields wins, as in a JSON tree.
     */
    private static final class Fields {
        String unknown;  // the first field not in the contract
        Object task, prompt, maxTokens, deadlineMs, strategy, temperature, format, cache, topP, stop, seed;
        Object stream;  // read by InferStream before the route; only checked here
    }

    /**
     * Reads the body with Jackson's streaming parser straight into {@link Fields}: no JSON tree for the whole body.
     * A body that is not one JSON object is refused as a JSON tree parse would refuse it, with the same messages.
     */
    private Fields read(byte[] body) {
        try (JsonParser p = mapper.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                refuseNonObject(body);
            }
            Fields f = new Fields();
            for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
                JsonToken token = p.nextToken();
                Object value = switch (token) {
                    case VALUE_STRING -> p.getText();
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
                    case VALUE_TRUE -> Boolean.TRUE;
                    case VALUE_FALSE -> Boolean.FALSE;
                    case VALUE_NULL -> NULL;
                    default -> p.readValueAsTree();  // an object or array
                };
                switch (name) {
                    case "task" -> f.task = value;
                    case "prompt" -> f.prompt = value;
                    case "max_tokens" -> f.maxTokens = value;
                    case "deadline_ms" -> f.deadlineMs = value;
                    case "strategy" -> f.strategy = value;
                    case "temperature" -> f.temperature = value;
                    case "format" -> f.format = value;
                    case "cache" -> f.cache = value;
                    case "top_p" -> f.topP = value;
                    case "stop" -> f.stop = value;
                    case "seed" -> f.seed = value;
                    case "stream" -> f.stream = value;
                    default -> {
                        if (f.unknown == null) {
                            f.unknown = name;
                        }
                    }
                }
            }
            return f;
        } catch (StreamConstraintsException e) {
            throw new ApiException(400, "malformed_json", "request body is nested too deeply or holds a number or "
                    + "string that is too long", null);
        } catch (JsonProcessingException e) {
            // Jackson's own message names its internals and quotes the caller's text: say where, not what
            JsonLocation at = e.getLocation();
            throw new ApiException(400, "malformed_json", "request body is not valid JSON"
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"), null);
        } catch (IOException e) {
            throw new ApiException(400, "malformed_json", "request body could not be read", null);
        }
    }

    /** Fails for a body whose root is not an object, exactly as a JSON tree parse reports it. */
    private void refuseNonObject(byte[] body) throws IOException {
        JsonNode root = mapper.readTree(body);  // throws for malformed JSON
        if (root == null || !root.isObject()) {
            throw new ApiException(400, "malformed_json", "request body must be a JSON object", null);
        }
        throw new IllegalStateException("a JSON object was not read as one");
    }

    private static String requiredText(Object v, String field) {
        if (v == null || v == NULL) {
            throw ApiException.invalid(field, field + " is required");
        }
        if (!(v instanceof String text)) {
            throw ApiException.invalid(field, field + " must be a string");
        }
        if (text.isBlank()) {
            throw ApiException.invalid(field, field + " must not be empty");
        }
        return text;
    }

    private static Integer positiveInt(Object v, String field) {
        Long n = positiveLong(v, field);
        if (n != null && n > Integer.MAX_VALUE) {
            throw ApiException.invalid(field, field + " is too large");
        }
        return n == null ? null : n.intValue();
    }

    /** An integer that fits a long and is > 0 (a JSON integer: 5.0 is not one). */
    private static Long positiveLong(Object v, String field) {
        if (v == null || v == NULL) {
            return null;
        }
        boolean fits = v instanceof Integer || v instanceof Long
                || (v instanceof BigInteger big && big.bitLength() < 64);
        if (!fits || ((Number) v).longValue() <= 0) {
            throw ApiException.invalid(field, field + " must be an integer > 0");
        }
        return ((Number) v).longValue();
    }

    /** The length of {@code s.getBytes(UTF_8)}, without encoding it. */
    private static int utf8Length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 2;  // a pair of chars, 4 bytes
                i++;
            } else if (!Character.isSurrogate(c)) {
                bytes += 2;
            }  // a lone surrogate is encoded as '?': 1 byte
        }
        return bytes;
    }
}
