package dev.llmpool.queues;

import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

import dev.llmpool.api.Headers;

/**
 * Turns the core route's answer (JSON body, HTTP status and request id headers) into the queue answer: the same
 * body, with headers {@code llmpool_status} and {@code llmpool_request_id} and the door's addressing (correlation
 * id, Kafka key and reply topic). Every other header is dropped, so nothing of the HTTP shape reaches the broker.
 * When the request itself was at fault (not JSON, an invalid field, an unknown task, too large) the exchange gets
 * property {@link #ERROR}, the {@code llmpool_error} text the dead-letter copy carries; so does a request for a task
 * the door's tenant may not use (403).
 */
public class QueueAnswer implements Processor {

    /** Exchange property: why the request was refused, for the dead-letter copy; absent for any other answer. */
    public static final String ERROR = "llmpool.queueError";
    /**
     * Statuses that say the message is wrong and will stay wrong: 400, 404, 413, 415, and 403 (a task the door's
     * tenant may not use). A 429 is not among them: the same message is fine once the tenant's window refills.
     */
    private static final Set<Integer> INVALID = Set.of(400, 403, 404, 413, 415);

    private final QueueDoor door;
    private final ObjectMapper mapper;

    public QueueAnswer(QueueDoor door, ObjectMapper mapper) {
        this.door = door;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Message m = exchange.getMessage();
        Integer status = m.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        String requestId = m.getHeader(Headers.REQUEST_ID, String.class);
        Map<String, Object> addressing = door.addressing(m, exchange.getProperty(QueueRequest.CORRELATION_ID, String.class));
        m.getHeaders().clear();
        m.getHeaders().putAll(addressing);
        m.setHeader("llmpool_status", String.valueOf(status == null ? 500 : status));
        if (requestId != null) {
            m.setHeader("llmpool_request_id", requestId);
        }
        if (status != null && INVALID.contains(status)) {
            exchange.setProperty(ERROR, errorText(m.getBody(String.class)));
        }
    }

    /** {@code code: message} from the contract's error body. */
    private String errorText(String body) {
        try {
            JsonNode error = mapper.readTree(body).path("error");
            return error.path("code").asText() + ": " + error.path("message").asText();
        } catch (Exception e) {
            return "invalid request";
        }
    }
}
