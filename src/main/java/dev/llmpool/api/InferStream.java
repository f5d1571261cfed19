package dev.llmpool.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.streaming.HttpChunkStream;

/**
 * {@code "stream": true} on {@code POST /v1/infer}: answers {@code text/event-stream}, {@code event: chunk} /
 * {@code data: {"content"}} as generated (FASTEST) or once (other strategies, cache hits), then {@code event: done}
 * / {@code data: <the usual 200 body>}; an error after the first chunk is {@code event: error} / {@code data: <the
 * usual error body>}, one before it the usual JSON error. The route's step before {@code direct:infer}
 * ({@link #process}) only looks for the word {@code "stream"} in the body, so a plain request pays a byte scan; the
 * step after it is {@link #end()}. The core route's parser checks the field like any other.
 */
public class InferStream implements Processor, HttpChunkStream.Framing {

    private static final byte[] FIELD = "\"stream\"".getBytes(StandardCharsets.UTF_8);

    private final ObjectMapper mapper;

    public InferStream(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) {
        RequestState state = RequestState.of(exchange);
        byte[] body = exchange.getIn().getBody(byte[].class);
        if (body == null || indexOf(body, FIELD) < 0 || !streamAsked(body)) {
            return;
        }
        String requestId = ChatDoor.requestId(exchange);
        if (HttpChunkStream.attach(exchange, this, requestId) != null) {
            state.setApi("infer");
            state.setRaw(null);  // a repeat of this body must not be answered as plain JSON
        }
    }

    private boolean streamAsked(byte[] body) {
        try {
            JsonNode stream = mapper.readTree(body).get("stream");
            return stream != null && stream.isBoolean() && stream.booleanValue();
        } catch (IOException | RuntimeException e) {
            return false;  // malformed: the core route's parser answers it
        }
    }

    @Override
    public String contentType() {
        return "text/event-stream";
    }

    @Override
    public String head() {
        return "";
    }

    @Override
    public String chunk(String content) {
        try {
            return "event: chunk\ndata: " + mapper.writeValueAsString(mapper.createObjectNode().put("content", content)) + "\n\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The step after the core route: the done or error event, or (nothing sent yet) the usual JSON error. */
    public Processor end() {
        return exchange -> {
            HttpChunkStream stream = RequestState.of(exchange).httpStream();
            CoreReply reply = CoreReply.of(exchange, mapper);
            String body = exchange.getMessage().getBody(String.class);
            if (reply.ok()) {
                String unsent = stream.started() ? "" : chunk(reply.body().path("content").asText());
                stream.finish(unsent + "event: done\ndata: " + body + "\n\n");
            } else if (stream.started()) {
                stream.finish("event: error\ndata: " + body + "\n\n");
            } else {
                return;  // the usual JSON error, as the core route wrote it
            }
            exchange.getMessage().getHeaders().clear();
            exchange.getMessage().setBody(null);
        };
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
