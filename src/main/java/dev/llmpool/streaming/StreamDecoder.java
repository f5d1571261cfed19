package dev.llmpool.streaming;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.llmpool.config.ProviderConfig;
import dev.llmpool.providers.Dialect;
import dev.llmpool.providers.ProviderCall;

/**
 * The streaming side of a backend dialect (shared/BACKEND-APIS.md): the same chat request as
 * {@link Dialect#chatRequest} with streaming on, and one decoded {@link StreamEvent} per line of the answer:
 * Ollama's NDJSON objects, or the OpenAI API's server-sent {@code data:} events.
 */
abstract class StreamDecoder {

    static final StreamDecoder OLLAMA = new Ollama();
    static final StreamDecoder OPENAI = new OpenAi();

    static StreamDecoder of(ProviderConfig.Kind kind) {
        return kind == ProviderConfig.Kind.OLLAMA ? OLLAMA : OPENAI;
    }

    /** The request body: the non-streaming one from the provider's dialect, with streaming switched on. */
    ObjectNode request(ObjectMapper mapper, ProviderCall call) {
        ObjectNode body = Dialect.of(call.provider().kind()).chatRequest(mapper, call);
        body.put("stream", true);
        return body;
    }

    String path(ProviderConfig provider) {
        return Dialect.of(provider.kind()).chatPath();
    }

    /** Throws on a line that is not the backend's API (the stream is then a failure). */
    abstract StreamEvent decode(ObjectMapper mapper, String line) throws java.io.IOException;

    private static final class Ollama extends StreamDecoder {
        @Override
        StreamEvent decode(ObjectMapper mapper, String line) throws java.io.IOException {
            if (line.isBlank()) {
                return new StreamEvent.Skip();
            }
            JsonNode n = mapper.readTree(line);
            if (n.hasNonNull("error")) {
                return new StreamEvent.Failed(n.get("error").asText());
            }
            if (n.path("done").asBoolean(false)) {
                return new StreamEvent.Done(n.path("model").asText(null), Dialect.longOr(n, "prompt_eval_count"),
                        Dialect.longOr(n, "eval_count"), Dialect.textOr(n, "done_reason"));
            }
            JsonNode content = n.path("message").path("content");
            if (!content.isTextual()) {
                throw new java.io.IOException("stream line has no message.content");
            }
            return new StreamEvent.Token(content.asText());
        }
    }

    private static final class OpenAi extends StreamDecoder {
        @Override
        ObjectNode request(ObjectMapper mapper, ProviderCall call) {
            ObjectNode body = super.request(mapper, call);
            body.putObject("stream_options").put("include_usage", true); // token counts in a last chunk
            return body;
        }

        @Override
        StreamEvent decode(ObjectMapper mapper, String line) throws java.io.IOException {
            if (!line.startsWith("data:")) {
                return new StreamEvent.Skip(); // blank separator, ": comment", "event:" or "id:" fields
            }
            String data = line.substring(5).strip();
            if (data.equals("[DONE]")) {
                return new StreamEvent.Done(null, -1, -1, null);
            }
            JsonNode n = mapper.readTree(data);
            if (n.hasNonNull("error")) {
                JsonNode e = n.get("error");
                return new StreamEvent.Failed(e.isTextual() ? e.asText() : e.path("message").asText("error event"));
            }
            JsonNode u = n.path("usage");
            long[] usage = u.isObject()
                    ? new long[] {Dialect.longOr(u, "prompt_tokens"), Dialect.longOr(u, "completion_tokens")} : null;
            JsonNode choice = n.path("choices").path(0);
            String finish = Dialect.textOr(choice, "finish_reason");
            JsonNode content = choice.path("delta").path("content");
            String text = content.isTextual() ? content.asText() : "";
            if (usage == null && finish == null) {
                return content.isTextual() ? new StreamEvent.Token(text) : new StreamEvent.Skip();
            }
            return new StreamEvent.Meta(text, usage, finish);
        }
    }
}
