package dev.llmpool.ollama;

import java.time.Instant;
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
import dev.llmpool.api.Headers;
import dev.llmpool.api.HttpReply;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.Limits;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.streaming.HttpChunkStream;

/**
 * {@code POST /api/chat} and {@code POST /api/generate} -> the core route's request. {@code model} is resolved as in
 * the OpenAI API; {@code messages} (chat) or {@code system} + {@code prompt} (generate) are the conversation;
 * {@code options.num_predict} and {@code options.temperature}, {@code format} and the pool's extensions
 * {@code strategy}, {@code deadline_ms}, {@code cache} become the task API's fields. Streaming is on unless
 * {@code "stream": false}, as in Ollama. As Ollama does, a request without messages (or with an empty prompt) only
 * "loads" the model: it is answered at once with {@code done_reason: "load"}, no backend asked.
 */
public class OllamaRequestMapper implements Processor {

    static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    /** Exchange property: true for /api/generate ("response" instead of "message"). */
    static final String GENERATE = "llmpool.ollama.generate";

    private final ConfigStore config;
    private final ObjectMapper mapper;
    private final boolean generate;

    public OllamaRequestMapper(ConfigStore config, ObjectMapper mapper, boolean generate) {
        this.config = config;
        this.mapper = mapper;
        this.generate = generate;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        String requestId = ChatDoor.requestId(exchange);
        exchange.setProperty(GENERATE, generate);
        Limits limits = config.current().limits();
        JsonNode body = ChatDoor.readObject(exchange, mapper, limits);  // any Content-Type, as Ollama reads any
        String model = ChatDoor.requiredText(body, "model");
        RequestState.of(exchange).setModel(model);
        PoolConfig pool = config.currentWithProviderTasks();
        if (nothingToAsk(body)) {
            if (pool.task(ChatDoor.taskName(model)) == null) {
                throw new ApiException(404, "unknown_task", "unknown model", "task");
            }
            loaded(exchange, model, requestId);
            return;
        }
        List<ChatMessage> messages = generate ? generateMessages(body) : ChatDoor.messages(body, ROLES, limits);
        ChatDoor.checkConversation(messages, limits);

        ObjectNode core = mapper.createObjectNode();
        core.put("task", ChatDoor.taskName(model));
        core.put("prompt", ChatDoor.lastUserContent(messages));
        JsonNode options = body.get("options");
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw ApiException.invalid("options", "options must be an object");
            }
            JsonNode numPredict = options.get("num_predict");
            if (numPredict != null && !numPredict.isNull()) {
                if (!numPredict.isIntegralNumber()) {
                    throw ApiException.invalid("options.num_predict", "options.num_predict must be an integer");
                }
                if (numPredict.longValue() > 0) {  // -1 (no limit) and -2 (fill the context): the task's limit
                    core.set("max_tokens", numPredict);
                }
            }
            copy(core, "temperature", options.get("temperature"));
            for (String sampling : new String[] {"top_p", "stop", "seed"}) {
                copy(core, sampling, options.get(sampling));
            }
        }
        JsonNode format = body.get("format");
        if (format != null && !format.isNull() && !(format.isTextual() && format.asText().isEmpty())) {
            if (!(format.isObject() || "json".equals(format.asText(null)))) {
                throw ApiException.invalid("format", "format must be \"json\" or a JSON schema object");
            }
            core.set("format", format.isObject() ? format : TextNode.valueOf("json"));
        }
        for (String extension : new String[] {"strategy", "deadline_ms", "cache"}) {
            copy(core, extension, body.get(extension));
        }
        if (ChatDoor.bool(body, "stream", true)) {
            OllamaStream stream = new OllamaStream(model, generate, mapper);
            HttpChunkStream.attach(exchange, stream, requestId);
        }
        ChatDoor.enterCore(exchange, mapper, "ollama", core, messages);
    }

    /** Ollama's "load the model" request: chat without messages, generate with an empty prompt. */
    private boolean nothingToAsk(JsonNode body) {
        if (generate) {
            JsonNode prompt = body.get("prompt");
            return prompt == null || prompt.isNull() || (prompt.isTextual() && prompt.asText().isEmpty());
        }
        JsonNode messages = body.get("messages");
        return messages == null || messages.isNull() || (messages.isArray() && messages.isEmpty());
    }

    private List<ChatMessage> generateMessages(JsonNode body) {
        JsonNode prompt = body.get("prompt");
        if (!prompt.isTextual()) {
            throw ApiException.invalid("prompt", "prompt must be a string");
        }
        JsonNode system = body.get("system");
        if (system == null || system.isNull() || (system.isTextual() && system.asText().isEmpty())) {
            return List.of(new ChatMessage("user", prompt.asText()));
        }
        if (!system.isTextual()) {
            throw ApiException.invalid("system", "system must be a string");
        }
        return List.of(new ChatMessage("system", system.asText()), new ChatMessage("user", prompt.asText()));
    }

    /** The answer to a load request, without entering the core route: Ollama sends it as one object, even streaming. */
    private void loaded(Exchange exchange, String model, String requestId) throws Exception {
        ObjectNode r = mapper.createObjectNode();
        r.put("model", model).put("created_at", Instant.now().toString());
        if (generate) {
            r.put("response", "");
        } else {
            r.putObject("message").put("role", "assistant").put("content", "");
        }
        r.put("done_reason", "load").put("done", true);
        HttpReply.set(exchange, 200, OllamaReplyWriter.JSON, mapper.writeValueAsString(r), Headers.REQUEST_ID, requestId);
        RequestState.of(exchange).setAnswered(true);
    }

    private static void copy(ObjectNode core, String field, JsonNode value) {
        if (value != null && !value.isNull()) {
            core.set(field, value);
        }
    }
}
