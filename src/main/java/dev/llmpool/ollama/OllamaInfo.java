package dev.llmpool.ollama;

import java.time.Instant;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.HttpReply;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.PoolConfig;

/**
 * Ollama's informational endpoints, by the route's {@code what}: {@code tags} (every task and provider as a model,
 * named {@code <name>:latest} as Ollama names untagged models), {@code ps} (the same list: the pool cannot tell
 * which backend models are loaded), {@code version}, and {@code root} ({@code GET /} and {@code HEAD /}: "Ollama is
 * running", the probe Ollama's tools use).
 */
public class OllamaInfo implements Processor {

    /** The Ollama API level this facade follows (BACKEND-APIS.md). */
    static final String VERSION = "0.6.4";

    private final ConfigStore config;
    private final ObjectMapper mapper;
    private final String started = Instant.now().toString();

    public OllamaInfo(ConfigStore config, ObjectMapper mapper) {
        this.config = config;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        String what = exchange.getIn().getHeader("what", String.class);
        switch (what == null ? "" : what) {
            case "root" -> HttpReply.set(exchange, 200, "text/plain; charset=utf-8", "Ollama is running", null, null);
            case "version" -> json(exchange, mapper.createObjectNode().put("version", VERSION));
            case "tags" -> json(exchange, models(exchange, false));
            case "ps" -> json(exchange, models(exchange, true));
            default -> throw new IllegalArgumentException("unknown Ollama endpoint '" + what + "'");
        }
    }

    private ObjectNode models(Exchange exchange, boolean running) {
        PoolConfig c = config.currentWithProviderTasks();
        ObjectNode out = mapper.createObjectNode();
        ArrayNode models = out.putArray("models");
        for (String name : new TreeSet<>(c.tasks().keySet())) {
            if (!dev.llmpool.auth.Authenticator.allows(exchange, name)) {
                continue;  // the tenant's models only (auth on)
            }
            ObjectNode m = models.addObject();
            m.put("name", name + ":latest").put("model", name + ":latest");
            if (!running) {
                m.put("modified_at", started);
            }
            m.put("size", 0).put("digest", "");
            m.putObject("details").put("parent_model", "").put("format", "").put("family", "llm-pool")
                    .put("parameter_size", "").put("quantization_level", "").putArray("families").add("llm-pool");
            if (running) {
                m.put("expires_at", "2999-12-31T23:59:59Z").put("size_vram", 0);
            }
        }
        return out;
    }

    private void json(Exchange exchange, ObjectNode body) throws Exception {
        HttpReply.set(exchange, 200, OllamaReplyWriter.JSON, mapper.writeValueAsString(body), null, null);
    }
}
