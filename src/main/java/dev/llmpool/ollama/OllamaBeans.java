package dev.llmpool.ollama;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.BindToRegistry;

import dev.llmpool.config.ConfigStore;

/**
 * The Ollama-compatible API (issue 14, routes/ollama-api.camel.yaml): a thin edge that maps its request onto the
 * task API's, enters direct:infer, and maps the answer or error back; streams go straight to the connection.
 */
public class OllamaBeans {

    private final ObjectMapper mapper = new ObjectMapper();

    @BindToRegistry
    public OllamaRequestMapper ollamaChatRequest(ConfigStore config) {
        return new OllamaRequestMapper(config, mapper, false);
    }

    @BindToRegistry
    public OllamaRequestMapper ollamaGenerateRequest(ConfigStore config) {
        return new OllamaRequestMapper(config, mapper, true);
    }

    @BindToRegistry
    public OllamaReplyWriter ollamaReply() {
        return new OllamaReplyWriter(mapper);
    }

    @BindToRegistry
    public OllamaInfo ollamaInfo(ConfigStore config) {
        return new OllamaInfo(config, mapper);
    }
}
