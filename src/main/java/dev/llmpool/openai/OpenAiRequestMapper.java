package dev.llmpool.openai;

import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.ChatDoor;
import dev.llmpool.api.ChatMessage;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.Limits;
import dev.llmpool.streaming.HttpChunkStream;

/**
 * {@code POST /v1/chat/completions} -> the core route's request. {@code model} is the task (or a provider, see
 * PoolConfig.withProviderTasks); the last user message is the prompt; {@code max_completion_tokens} (or
 * {@code max_tokens}), {@code temperature}, {@code response_format} and the pool's extensions {@code strategy},
 * {@code deadline_ms} and {@code cache} become the task API's fields, checked by the core route. What is OpenAI's
 * alone is checked here: {@code n} (only 1), {@code stream}, {@code stream_options}, {@code top_p}, {@code stop},
 * {@code seed}, {@code user}. Unknown fields are ignored, as OpenAI's own server does. For {@code stream: true}
 * the core route gets a chunk sink onto the HTTP response.
 */
public class OpenAiRequestMapper implements Processor {

    static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    /** Exchange property: which of max_completion_tokens and max_tokens the caller used (errors name it). */
    static final String MAX_TOKENS_FIELD = "llmpool.openai.maxTokensField";

    private final ConfigStore config;
    private final ObjectMapper mapper;

    public OpenAiRequestMapper(ConfigStore config, ObjectMapper mapper) {
        this.config = config;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        String requestId = ChatDoor.requestId(exchange);
        String contentType = exchange.getIn().getHeader(Exchange.CONTENT_TYPE, String.class);
        if (contentType == null || !contentType.regionMatches(true, 0, "application/json", 0, 16)) {
            throw new ApiException(415, "unsupported_media_type", "Content-Type must be application/json, got "
                    + (contentType == null ? "none" : "'" + contentType + "'"), null);
        }
        Limits limits = config.current().limits();
        JsonNode body = ChatDoor.readObject(exchange, mapper, limits);
        String model = ChatDoor.requiredText(body, "model");
        RequestState.of(exchange).setModel(model);
        List<ChatMessage> messages = ChatDoor.messages(body, ROLES, limits);
        checkOpenAiFields(body);

        ObjectNode core = mapper.createObjectNode();
        core.put("task", ChatDoor.taskName(model));
        core.put("prompt", ChatDoor.lastUserContent(messages));
        JsonNode maxTokens = present(body, "max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
        copy(core, "max_tokens", maxTokens);
        copy(core, "temperature", body.get("temperature"));
        for (String sampling : new String[] {"top_p", "stop", "seed"}) {
            copy(core, sampling, body.get(sampling));
        }
        copy(core, "format", format(body.get("response_format")));
        for (String extension : new String[] {"strategy", "deadline_ms", "cache"}) {
            copy(core, extension, body.get(extension));
        }
        if (ChatDoor.bool(body, "stream", false)) {
            boolean usage = body.path("stream_options").path("include_usage").asBoolean(false);
            OpenAiStream stream = new OpenAiStream(requestId, model, usage, mapper);
            HttpChunkStream.attach(exchange, stream, requestId);
        }
        exchange.setProperty(MAX_TOKENS_FIELD, present(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens");
        ChatDoor.enterCore(exchange, mapper, "openai", core, messages);
    }

    /** OpenAI's own fields: accepted when valid (see the README for which reach the backends), a 400 otherwise. */
    private static void checkOpenAiFields(JsonNode body) {
        JsonNode n = body.get("n");
        if (present(body, "n") && !(n.canConvertToInt() && n.isIntegralNumber() && n.intValue() == 1)) {
            throw ApiException.invalid("n", "n must be 1: the pool answers with one choice");
        }
        JsonNode topP = body.get("top_p");
        if (present(body, "top_p") && !(topP.isNumber() && topP.doubleValue() >= 0 && topP.doubleValue() <= 1)) {
            throw ApiException.invalid("top_p", "top_p must be a number from 0 to 1");
        }
        JsonNode stop = body.get("stop");
        if (present(body, "stop") && !stop.isTextual() && !(stop.isArray() && stop.size() <= 4 && allText(stop))) {
            throw ApiException.invalid("stop", "stop must be a string or an array of up to 4 strings");
        }
        if (present(body, "seed") && !body.get("seed").isIntegralNumber()) {
            throw ApiException.invalid("seed", "seed must be an integer");
        }
        if (present(body, "user") && !body.get("user").isTextual()) {
            throw ApiException.invalid("user", "user must be a string");
        }
        JsonNode options = body.get("stream_options");
        if (present(body, "stream_options")) {
            if (!options.isObject() || (options.has("include_usage") && !options.get("include_usage").isBoolean())) {
                throw ApiException.invalid("stream_options", "stream_options must be an object; include_usage true or false");
            }
        }
        if (present(body, "response_format") && !body.get("response_format").isObject()) {
            throw ApiException.invalid("response_format", "response_format must be an object");
        }
    }

    /** response_format -> the task API's format: json_object -> "json", json_schema -> its schema, text -> none. */
    private JsonNode format(JsonNode rf) {
        if (rf == null || rf.isNull()) {
            return null;
        }
        String type = rf.path("type").asText("");
        switch (type) {
            case "text":
                return null;
            case "json_object":
                return TextNode.valueOf("json");
            case "json_schema":
                JsonNode schema = rf.path("json_schema").get("schema");
                if (schema == null || !schema.isObject()) {
                    throw ApiException.invalid("response_format", "response_format.json_schema.schema must be a JSON schema object");
                }
                return schema;
            default:
                throw ApiException.invalid("response_format", "response_format.type must be text, json_object or json_schema");
        }
    }

    private static boolean present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && !v.isNull();
    }

    private static boolean allText(JsonNode array) {
        for (JsonNode s : array) {
            if (!s.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static void copy(ObjectNode core, String field, JsonNode value) {
        if (value != null && !value.isNull()) {
            core.set(field, value);
        }
    }
}
