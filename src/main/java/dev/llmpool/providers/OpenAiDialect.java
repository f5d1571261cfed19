package dev.llmpool.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.llmpool.api.ChatMessage;
import dev.llmpool.api.Sampling;

import dev.llmpool.config.ProviderConfig;

/** The OpenAI Chat Completions API as vLLM, llama.cpp's server and Ollama's /v1 layer serve it. */
public final class OpenAiDialect implements Dialect {

    static final OpenAiDialect INSTANCE = new OpenAiDialect();

    @Override
    public String chatPath() {
        return "/v1/chat/completions";
    }

    @Override
    public String modelsPath() {
        return "/v1/models";
    }

    @Override
    public ObjectNode chatRequest(ObjectMapper mapper, ProviderCall call) {
        ObjectNode body = mapper.createObjectNode();
        body.put("model", call.provider().model());
        ArrayNode messages = body.putArray("messages");
        for (ChatMessage m : call.conversation()) {
            messages.addObject().put("role", m.role()).put("content", m.content());
        }
        body.put("stream", false);
        // max_tokens, not max_completion_tokens: Ollama's /v1 layer and older servers read only this one.
        body.put("max_tokens", call.maxTokens());
        if (call.temperature() != null) {
            body.put("temperature", call.temperature());
        }
        Sampling s = call.sampling();
        if (s.topP() != null) {
            body.put("top_p", s.topP());
        }
        if (s.stop() != null) {
            s.stop().forEach(body.withArray("stop")::add);
        }
        if (s.seed() != null) {
            body.put("seed", s.seed());
        }
        if (call.format() != null) {
            ObjectNode rf = body.putObject("response_format");
            if (call.format().isObject()) {
                rf.put("type", "json_schema");
                rf.putObject("json_schema").put("name", "answer").set("schema", call.format());
            } else {
                rf.put("type", "json_object");
            }
        }
        return body;
    }

    @Override
    public ProviderReply reply(JsonNode body, ProviderConfig provider, long latencyMs) {
        JsonNode content = body.path("choices").path(0).path("message").path("content");
        if (!content.isTextual()) {
            throw new ProviderException(0, "answer has no choices[0].message.content");
        }
        JsonNode usage = body.get("usage");
        return new ProviderReply(provider.name(), body.path("model").asText(provider.model()), content.asText(),
                Dialect.longOr(usage, "prompt_tokens"), Dialect.longOr(usage, "completion_tokens"), latencyMs,
                Dialect.textOr(body.path("choices").path(0), "finish_reason"));
    }

    @Override
    public String errorMessage(JsonNode body) {
        JsonNode e = body.get("error");
        if (e == null) {
            return null;
        }
        return e.isTextual() ? e.asText() : e.path("message").asText(null);
    }

    @Override
    public boolean listsModel(JsonNode body, String model) {
        for (JsonNode m : body.path("data")) {
            if (m.path("id").asText("").equals(model)
                    || Dialect.normaliseModel(m.path("id").asText("")).equals(Dialect.normaliseModel(model))) {
                return true;
            }
        }
        return false;
    }
}
