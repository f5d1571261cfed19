package dev.llmpool.ollama;

import java.time.Instant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.llmpool.streaming.HttpChunkStream;

/**
 * A streamed Ollama answer ({@code application/x-ndjson}): one {@code {"model","created_at","message":{"role":
 * "assistant","content"},"done":false}} line per chunk ({@code "response"} for generate), then the last line,
 * {@code "done": true} with the metrics (OllamaReplyWriter). Ollama's clients stop at that line and fail without it.
 */
final class OllamaStream implements HttpChunkStream.Framing {

    static final String NDJSON = "application/x-ndjson";

    private final String model;
    private final boolean generate;
    private final ObjectMapper mapper;

    OllamaStream(String model, boolean generate, ObjectMapper mapper) {
        this.model = model;
        this.generate = generate;
        this.mapper = mapper;
    }

    @Override
    public String contentType() {
        return NDJSON;
    }

    @Override
    public String head() {
        return "";
    }

    @Override
    public String chunk(String content) {
        ObjectNode line = line(content);
        line.put("done", false);
        return text(line) + "\n";
    }

    /** A line's common part: model, time and the content (empty on the last line of a stream). */
    ObjectNode line(String content) {
        ObjectNode line = mapper.createObjectNode();
        line.put("model", model).put("created_at", Instant.now().toString());
        if (generate) {
            line.put("response", content);
        } else {
            line.putObject("message").put("role", "assistant").put("content", content);
        }
        return line;
    }

    String text(ObjectNode line) {
        try {
            return mapper.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
