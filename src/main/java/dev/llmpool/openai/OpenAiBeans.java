package dev.llmpool.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.BindToRegistry;

import dev.llmpool.config.ConfigStore;

/**
 * The OpenAI-compatible API (issue 14, routes/openai-api.camel.yaml): a thin edge that maps its request onto the
 * task API's, enters direct:infer, and maps the answer or error back; streams go straight to the connection.
 */
public class OpenAiBeans {

    private final ObjectMapper mapper = new ObjectMapper();

    @BindToRegistry
    public OpenAiRequestMapper openAiRequest(ConfigStore config) {
        return new OpenAiRequestMapper(config, mapper);
    }

    @BindToRegistry
    public OpenAiReplyWriter openAiReply() {
        return new OpenAiReplyWriter(mapper);
    }

    @BindToRegistry
    public OpenAiModels openAiModels(ConfigStore config) {
        return new OpenAiModels(config, mapper);
    }
}
