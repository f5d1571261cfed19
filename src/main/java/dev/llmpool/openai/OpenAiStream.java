package dev.llmpool.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.llmpool.streaming.HttpChunkStream;

/**
 * A streamed chat completion ({@code text/event-stream}): {@code data: <chat.completion.chunk>} events, the first
 * with the delta {@code {"role":"assistant","content":""}}, then content deltas, then a chunk with
 * {@code finish_reason}, with {@code include_usage} a chunk with {@code choices: []} and the usage, then
 * {@code data: [DONE]}. Every chunk has the same id and created time.
 */
final class OpenAiStream implements HttpChunkStream.Framing {

    private final String id;
    private final String model;
    private final long created = System.currentTimeMillis() / 1000;
    private final boolean includeUsage;
    private final ObjectMapper mapper;

    OpenAiStream(String requestId, String model, boolean includeUsage, ObjectMapper mapper) {
        this.id = "chatcmpl-" + requestId;
        this.model = model;
        this.includeUsage = includeUsage;
        this.mapper = mapper;
    }

    @Override
    public String contentType() {
        return "text/event-stream";
    }

    @Override
    public String head() {
        ObjectNode chunk = chunk();
        choice(chunk).putObject("delta").put("role", "assistant").put("content", "");
        return event(chunk);
    }

    @Override
    public String chunk(String content) {
        ObjectNode chunk = chunk();
        choice(chunk).putObject("delta").put("content", content);
        return event(chunk);
    }

    /**
     * The end of a successful stream: the answer in one delta if it was not streamed (another strategy, a cache
     * hit), the finish chunk, the usage chunk if asked for, and [DONE].
     */
    String end(String unsentContent, String finishReason, ObjectNode usage, ObjectNode llmpool) {
        StringBuilder out = new StringBuilder();
        if (unsentContent != null && !unsentContent.isEmpty()) {
            out.append(chunk(unsentContent));
        }
        ObjectNode finish = chunk();
        choice(finish).put("finish_reason", finishReason).putObject("delta");
        finish.set("llmpool", llmpool);
        out.append(event(finish));
        if (includeUsage) {
            ObjectNode last = base();
            last.putArray("choices");
            last.set("usage", usage);
            out.append(event(last));
        }
        return out.append("data: [DONE]\n\n").toString();
    }

    /** An error after the stream began: one {@code data: {"error":{...}}} event, and the stream ends (no [DONE]). */
    static String error(String errorJson) {
        return "data: " + errorJson + "\n\n";
    }

    private ObjectNode base() {
        ObjectNode chunk = mapper.createObjectNode();
        chunk.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model)
                .put("system_fingerprint", OpenAiReplyWriter.FINGERPRINT);
        return chunk;
    }

    private ObjectNode chunk() {
        ObjectNode chunk = base();
        chunk.putArray("choices").addObject().put("index", 0);
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return chunk;
    }

    private static ObjectNode choice(ObjectNode chunk) {
        ObjectNode choice = (ObjectNode) chunk.get("choices").get(0);
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return choice;
    }

    private String event(ObjectNode chunk) {
        try {
            return "data: " + mapper.writeValueAsString(chunk) + "\n\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
