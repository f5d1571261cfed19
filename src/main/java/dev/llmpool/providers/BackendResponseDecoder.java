package dev.llmpool.providers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Reads the backend's reply into a {@link ProviderReply}. Error statuses, error bodies and bodies that are not
 * the backend's API become a {@link ProviderException} with a short reason, so the circuit breaker counts
 * them and the caller's 503 can say what each provider did.
 */
public class BackendResponseDecoder implements Processor {

    private final ObjectMapper mapper;

    public BackendResponseDecoder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) {
        ProviderCall call = exchange.getProperty(CallProperties.CALL, ProviderCall.class);
        Dialect dialect = Dialect.of(call.provider().kind());
        int status = exchange.getIn().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        // camel-vertx-http's body is a Vert.x buffer, which Camel would convert by way of an InputStream
        Object body = exchange.getIn().getBody();
        byte[] bytes = body instanceof Buffer buffer ? buffer.getBytes() : exchange.getIn().getBody(byte[].class);
        JsonNode json = parse(bytes);
        if (status < 200 || status >= 300) {
            String message = json != null ? dialect.errorMessage(json) : null;
            if (message == null) {
                message = bytes == null ? "" : snippet(new String(bytes, StandardCharsets.UTF_8));
            }
            throw new ProviderException(status, "HTTP " + status + (message.isEmpty() ? "" : ": " + message));
        }
        if (json == null) {
            throw new ProviderException(0, "invalid JSON in a " + status + " answer");
        }
        String error = dialect.errorMessage(json);
        if (error != null) {
            throw new ProviderException(status, "error in a " + status + " answer: " + error);
        }
        long sent = exchange.getProperty(CallProperties.SENT_NANOS, Long.class);
        long latencyMs = (System.nanoTime() - sent) / 1_000_000;
        exchange.getIn().removeHeaders("*");
        exchange.getIn().setBody(dialect.reply(json, call.provider(), latencyMs));
    }

    private JsonNode parse(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        try {
            JsonNode node = mapper.readTree(bytes);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String snippet(String s) {
        String t = s.strip().replaceAll("\\s+", " ");
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }
}
