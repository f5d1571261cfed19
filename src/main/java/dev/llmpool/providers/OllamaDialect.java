package dev.llmpool.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.llmpool.api.ChatMessage;
import dev.llmpool.api.Sampling;

import dev.llmpool.config.ProviderConfig;

/** Ollama's native API: {@code POST /api/chat} without streaming, {@code GET /api/tags}. */
public final class OllamaDialect implements Dialect {

    static final OllamaDialect INSTANCE = new OllamaDialect();

    @Override
    public String chatPath() {
        return "/api/chat";
    }

    @Override
    public String modelsPath() {
        return "/api/tags";
    }

    @Override
    public ObjectNode chatRequest(ObjectMapper mapper, ProviderCall call) {
        ObjectNode body = mapper.createObjectNode();
        body.put("model", call.provider().model());
        ArrayNode messages = body.putArray("messages");
        for (ChatMessage m : call.conversation()) {
            // Ollama knows system/user/assistant/tool; OpenAI's "developer" is its system role
            messages.addObject().put("role", "developer".equals(m.role()) ? "system" : m.role()).put("content", m.content());
        }
        body.put("stream", false); // absent means streaming in Ollama's API
        ObjectNode options = body.putObject("options");
        options.put("num_predict", call.maxTokens());
        if (call.temperature() != null) {
            options.put("temperature", call.temperature());
        }
        Sampling s = call.sampling();
        if (s.topP() != null) {
            options.put("top_p", s.topP());
        }
        if (s.stop() != null) {
            s.stop().forEach(options.withArray("stop")::add);
        }
        if (s.seed() != null) {
            options.put("seed", s.seed());
        }
        if (call.format() != null) {
            body.set("format", call.format());
        }
        return body;
    }

    @Override
    public ProviderReply reply(JsonNode body, ProviderConfig provider, long latencyMs) {
        JsonNode content = body.path("message").path("content");
        if (!content.isTextual() || !body.path("done").asBoolean(false)) {
            throw new ProviderException(0, "answer has no message.content or is not done");
        }
        String model = body.path("model").asText(provider.model());
        return new ProviderReply(provider.name(), model, content.asText(),
                Dialect.longOr(body, "prompt_eval_count"), Dialect.longOr(body, "eval_count"), latencyMs,
                Dialect.textOr(body, "done_reason"));
    }

    @Override
    public String errorMessage(JsonNode body) {
        JsonNode e = body.get("error");
        return e != null && e.isTextual() ? e.asText() : null;
    }

    @Override
    public boolean listsModel(JsonNode body, String model) {
        String wanted = Dialect.normaliseModel(model);
        for (JsonNode m : body.path("models")) {
            String name = m.path("name").asText(m.path("model").asText(""));
            if (!name.isEmpty() && Dialect.normaliseModel(name).equals(wanted)) {
                return true;
            }
        }
        return false;
    }
}
