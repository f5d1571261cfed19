package dev.llmpool.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.ChatDoor;
import dev.llmpool.api.CoreReply;
import dev.llmpool.api.RequestState;
import dev.llmpool.streaming.HttpChunkStream;

/**
 * The core route's answer (or a failure of the door, already shaped by the errorResponder) in Ollama's shapes: the
 * {@code done: true} object (the whole answer when not streamed; the last NDJSON line when streamed), or
 * {@code {"error":"message"}} with the task API's status. An error after a stream began is one more line
 * {@code {"error":"..."}}, as Ollama sends it.
 */
public class OllamaReplyWriter implements Processor {

    /** gin's JSON content type, which Ollama answers with. */
    static final String JSON = "application/json; charset=utf-8";

    private final ObjectMapper mapper;

    public OllamaReplyWriter(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        RequestState state = RequestState.of(exchange);
        CoreReply reply = CoreReply.of(exchange, mapper);
        HttpChunkStream stream = state.httpStream();
        OllamaStream framing = stream == null ? null : (OllamaStream) stream.framing();
        if (reply.ok()) {
            JsonNode a = reply.body();
            String content = a.path("content").asText();
            if (stream != null && framing != null) {
                StringBuilder tail = new StringBuilder();
                if (!stream.started() && !content.isEmpty()) {
                    tail.append(framing.chunk(content));  // decided whole (another strategy, a cache hit): one line
                }
                tail.append(framing.text(last(framing.line(""), a, exchange))).append('\n');
                stream.finish(tail.toString());
                ended(exchange);
                return;
            }
            OllamaStream whole = new OllamaStream(state.model(),
                    Boolean.TRUE.equals(exchange.getProperty(OllamaRequestMapper.GENERATE, Boolean.class)), mapper);
            reply.reply(exchange, 200, JSON, whole.text(last(whole.line(content), a, exchange)));
            return;
        }
        String message = "unknown_task".equals(reply.errorCode())
                ? "model '" + state.model() + "' not found"
                : reply.errorMessage();
        String error = mapper.writeValueAsString(mapper.createObjectNode().put("error", message));
        if (stream != null && stream.started()) {
            stream.finish(error + "\n");
            ended(exchange);
        } else {
            reply.reply(exchange, reply.status(), JSON, error);
        }
    }

    /**
     * The {@code done: true} fields. Durations are nanoseconds, as Ollama's: the pool knows the request's whole time,
     * not the backend's split of it, so total_duration and eval_duration are that time and the load and prompt
     * evaluation durations are 0.
     */
    private ObjectNode last(ObjectNode line, JsonNode a, Exchange exchange) {
        long completion = a.path("usage").path("completion_tokens").asLong();
        long nanos = a.path("duration_ms").asLong() * 1_000_000L;
        line.put("done_reason", ChatDoor.finishReason(a));
        line.put("done", true);
        line.put("total_duration", nanos);
        line.put("load_duration", 0);
        line.put("prompt_eval_count", a.path("usage").path("prompt_tokens").asLong());
        line.put("prompt_eval_duration", 0);
        line.put("eval_count", completion);
        line.put("eval_duration", nanos);
        ObjectNode x = line.putObject("llmpool");
        for (String f : new String[] {"request_id", "task", "winner_model", "winner_provider", "strategy_used",
                "models_queried", "from_cache", "hedged", "votes", "agreement", "judge"}) {
            if (a.has(f)) {
                x.set(f, a.get(f));
            }
        }
        return line;
    }

    private static void ended(Exchange exchange) {
        exchange.getMessage().getHeaders().clear();
        exchange.getMessage().setBody(null);
    }
}
