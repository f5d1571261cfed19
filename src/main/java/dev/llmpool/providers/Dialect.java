package dev.llmpool.providers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.llmpool.config.ProviderConfig;

/** How one backend family spells a chat call, its answer, its errors and its model list. */
public interface Dialect {

    String chatPath();

    String modelsPath();

    ObjectNode chatRequest(ObjectMapper mapper, ProviderCall call);

    /** The answer's text and token counts; throws {@link ProviderException} when the body is not an answer. */
    ProviderReply reply(JsonNode body, ProviderConfig provider, long latencyMs);

    /** The message inside an error body, or null when the body has none. */
    String errorMessage(JsonNode body);

    /** Whether the model list (the body of {@link #modelsPath()}) contains the provider's model. */
    boolean listsModel(JsonNode body, String model);

    static Dialect of(ProviderConfig.Kind kind) {
        return kind == ProviderConfig.Kind.OLLAMA ? OllamaDialect.INSTANCE : OpenAiDialect.INSTANCE;
    }

    /** Ollama treats a missing tag as ":latest"; so do we when matching model names. */
    static String normaliseModel(String model) {
        return model.contains(":") ? model : model + ":latest";
    }

    static long longOr(JsonNode node, String field) {
        JsonNode n = node == null ? null : node.get(field);
        return n != null && n.canConvertToLong() ? n.asLong() : 0;
    }

    /** A text field, or null when absent, null or empty. */
    static String textOr(JsonNode node, String field) {
        JsonNode n = node == null ? null : node.get(field);
        return n != null && n.isTextual() && !n.asText().isEmpty() ? n.asText() : null;
    }
}
