package dev.llmpool.openai;

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
 * The core route's answer (or a failure of the door itself, already shaped by the errorResponder) in OpenAI's
 * shapes: a {@code chat.completion}, the end of a stream, or {@code {"error":{message,type,param,code}}} with the
 * task API's status. An error after a stream began is a {@code data: {"error":...}} event.
 */
public class OpenAiReplyWriter implements Processor {

    static final String FINGERPRINT = "llm-pool";

    private final ObjectMapper mapper;

    public OpenAiReplyWriter(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        CoreReply reply = CoreReply.of(exchange, mapper);
        HttpChunkStream stream = RequestState.of(exchange).httpStream();
        OpenAiStream framing = stream == null ? null : (OpenAiStream) stream.framing();
        if (reply.ok()) {
            JsonNode a = reply.body();
            long promptTokens = a.path("usage").path("prompt_tokens").asLong();
            long completionTokens = a.path("usage").path("completion_tokens").asLong();
            ObjectNode usage = mapper.createObjectNode().put("prompt_tokens", promptTokens)
                    .put("completion_tokens", completionTokens).put("total_tokens", promptTokens + completionTokens);
            String finish = ChatDoor.finishReason(a);
            if (stream != null && framing != null) {
                String unsent = stream.started() ? null : a.path("content").asText();
                stream.finish(framing.end(unsent, finish, usage, extension(a)));
                ended(exchange);
                return;
            }
            ObjectNode c = mapper.createObjectNode();
            c.put("id", "chatcmpl-" + a.path("request_id").asText(reply.requestId()));
            c.put("object", "chat.completion");
            c.put("created", System.currentTimeMillis() / 1000);
            c.put("model", a.path("winner_model").asText());
            ObjectNode choice = c.putArray("choices").addObject();
            choice.put("index", 0);
            choice.putObject("message").put("role", "assistant").put("content", a.path("content").asText()).putNull("refusal");
            choice.putNull("logprobs");
            choice.put("finish_reason", finish);
            c.set("usage", usage);
            c.put("system_fingerprint", FINGERPRINT);
            c.set("llmpool", extension(a));
            reply.reply(exchange, 200, "application/json", mapper.writeValueAsString(c));
            return;
        }
        String error = mapper.writeValueAsString(error(reply, exchange));
        if (stream != null && stream.started()) {
            stream.finish(OpenAiStream.error(error));
            ended(exchange);
        } else {
            reply.reply(exchange, reply.status(), "application/json", error);
        }
    }

    /** The pool's own facts about the answer, under {@code llmpool}. */
    private ObjectNode extension(JsonNode a) {
        ObjectNode x = mapper.createObjectNode();
        for (String f : new String[] {"request_id", "task", "strategy_used", "winner_provider", "models_queried",
                "from_cache", "hedged", "votes", "agreement", "judge"}) {
            if (a.has(f)) {
                x.set(f, a.get(f));
            }
        }
        return x;
    }

    /** OpenAI's error object; the task API's code and field under OpenAI's names. */
    private ObjectNode error(CoreReply reply, Exchange exchange) {
        ObjectNode body = mapper.createObjectNode();
        ObjectNode e = body.putObject("error");
        String code = reply.errorCode();
        if ("unknown_task".equals(code)) {
            e.put("message", "The model `" + RequestState.of(exchange).model() + "` does not exist: no task "
                    + "or provider of this pool has that name (GET /v1/models lists them)");
            e.put("type", "invalid_request_error");
            e.put("param", "model");
            e.put("code", "model_not_found");
            return body;
        }
        e.put("message", reply.errorMessage());
        e.put("type", type(reply.status()));
        String field = param(reply.errorField(), exchange);
        if (field == null) {
            e.putNull("param");
        } else {
            e.put("param", field);
        }
        e.put("code", code);
        return body;
    }

    private static String type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            default -> status < 500 ? "invalid_request_error" : "api_error";
        };
    }

    /** The task API's field as this API's caller named it. */
    private static String param(String field, Exchange exchange) {
        if (field == null) {
            return null;
        }
        return switch (field) {
            case "task" -> "model";
            case "prompt" -> "messages";
            case "format" -> "response_format";
            case "max_tokens" -> exchange.getProperty(OpenAiRequestMapper.MAX_TOKENS_FIELD, "max_tokens", String.class);
            default -> field;
        };
    }

    /** The stream is written and ended: nothing is left for platform-http to write. */
    private static void ended(Exchange exchange) {
        exchange.getMessage().getHeaders().clear();
        exchange.getMessage().setBody(null);
    }
}
