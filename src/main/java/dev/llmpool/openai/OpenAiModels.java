package dev.llmpool.openai;

import java.util.TreeSet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.ChatDoor;
import dev.llmpool.api.HttpReply;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.PoolConfig;

/**
 * {@code GET /v1/models}: every task and every provider of the current configuration, as OpenAI's model list;
 * {@code GET /v1/models/{id}}: one of them, or 404 {@code model_not_found}.
 */
public class OpenAiModels implements Processor {

    private final ConfigStore config;
    private final ObjectMapper mapper;
    /** When the pool started: the models' {@code created} (the configuration has no dates). */
    private final long created = System.currentTimeMillis() / 1000;

    public OpenAiModels(ConfigStore config, ObjectMapper mapper) {
        this.config = config;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        PoolConfig c = config.currentWithProviderTasks();  // tasks, and providers as tasks of their own name
        String id = exchange.getIn().getHeader("id", String.class);
        if (id != null) {
            RequestState.of(exchange).setModel(id);
            if (c.task(ChatDoor.taskName(id)) == null) {
                throw new ApiException(404, "unknown_task", "unknown model '" + id + "'", "task");
            }
            if (!dev.llmpool.auth.Authenticator.allows(exchange, ChatDoor.taskName(id))) {  // the tenant's models only
                throw new ApiException(403, "forbidden", "this tenant may not use model '" + id + "'", null);
            }
            HttpReply.set(exchange, 200, "application/json", mapper.writeValueAsString(model(id)), null, null);
            return;
        }
        ObjectNode list = mapper.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (String name : new TreeSet<>(c.tasks().keySet())) {
            if (dev.llmpool.auth.Authenticator.allows(exchange, name)) {  // the tenant's models only (auth on)
                data.add(model(name));
            }
        }
        HttpReply.set(exchange, 200, "application/json", mapper.writeValueAsString(list), null, null);
    }

    private ObjectNode model(String id) {
        return mapper.createObjectNode().put("id", id).put("object", "model").put("created", created).put("owned_by", "llm-pool");
    }
}
