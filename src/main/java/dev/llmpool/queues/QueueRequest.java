package dev.llmpool.queues;

import java.nio.charset.StandardCharsets;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Makes a queued message look like the HTTP API's request before it enters {@code direct:infer}: a JSON
 * Content-Type and an {@code Idempotency-Key}. The key is the message's {@code idempotency_key} header when it
 * has one, otherwise one derived from where the message sits in the broker (Kafka: topic, partition and offset;
 * JMS: the message id), so a redelivered message is answered from the idempotency store without a second model
 * call. The request body is kept aside for the dead-letter copy, and the correlation id for the answer.
 */
public class QueueRequest implements Processor {

    /** Exchange property: the message body as received, for the dead-letter copy. */
    public static final String BODY = "llmpool.queueBody";
    /** Exchange property: the correlation id to copy onto the answer (null when the message has none). */
    public static final String CORRELATION_ID = "llmpool.queueCorrelationId";
    /** The message header that names an idempotency key (both doors). */
    static final String IDEMPOTENCY_KEY = "idempotency_key";

    private final QueueDoor door;

    public QueueRequest(QueueDoor door) {
        this.door = door;
    }

    @Override
    public void process(Exchange exchange) {
        Message in = exchange.getMessage();
        exchange.setProperty(BODY, in.getBody());  // as it came: a text message stays text
        exchange.setProperty(CORRELATION_ID, door.correlationId(in));
        String key = text(in.getHeader(IDEMPOTENCY_KEY));
        in.setHeader("Idempotency-Key", key != null && !key.isEmpty() ? key : door.position(in));
        in.setHeader(Exchange.CONTENT_TYPE, "application/json");
    }

    /** A header as text: Kafka record headers arrive as bytes (UTF-8), JMS properties as objects. */
    public static String text(Object value) {
        if (value instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        return value == null ? null : value.toString();
    }
}
