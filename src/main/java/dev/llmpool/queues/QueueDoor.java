package dev.llmpool.queues;

import java.util.Map;
import java.util.TreeMap;

import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;

import static dev.llmpool.queues.QueueRequest.text;

/** What differs between the queue doors: where a message's position and correlation id are, and how an answer is addressed. */
public enum QueueDoor {
    KAFKA {
        @Override
        String position(Message in) {
            return "kafka:" + in.getHeader(KafkaConstants.TOPIC) + ":" + in.getHeader(KafkaConstants.PARTITION)
                    + ":" + in.getHeader(KafkaConstants.OFFSET);
        }

        @Override
        String correlationId(Message in) {
            return text(in.getHeader(CORRELATION_ID));
        }

        /** The record's key (the producer reuses it) and correlation id; the request's reply_to topic, if any. */
        @Override
        Map<String, Object> addressing(Message request, String correlationId) {
            Map<String, Object> h = new TreeMap<>();
            putIfSet(h, KafkaConstants.KEY, request.getHeader(KafkaConstants.KEY));
            putIfSet(h, CORRELATION_ID, correlationId);
            String replyTo = text(request.getHeader("reply_to"));
            if (replyTo != null && !replyTo.isBlank()) {
                h.put(KafkaConstants.OVERRIDE_TOPIC, replyTo.trim());
            }
            return h;
        }
    },
    JMS {
        @Override
        String position(Message in) {
            return "jms:" + in.getHeader("JMSMessageID");
        }

        /** The request's own JMSCorrelationID, or else its message id (what a JMS requester matches on). */
        @Override
        String correlationId(Message in) {
            String given = text(in.getHeader("JMSCorrelationID"));
            return given != null ? given : text(in.getHeader("JMSMessageID"));
        }

        /** JMSReplyTo is answered by camel-jms itself (request-reply); the correlation id goes either way. */
        @Override
        Map<String, Object> addressing(Message request, String correlationId) {
            Map<String, Object> h = new TreeMap<>();
            putIfSet(h, "JMSCorrelationID", correlationId);
            return h;
        }
    };

    /** Kafka's correlation header, the contract's name. */
    static final String CORRELATION_ID = "correlation_id";

    /** The message's place in the broker, the same on every redelivery. */
    abstract String position(Message in);

    abstract String correlationId(Message in);

    /** The headers an answer (and a dead-letter copy) carries besides the pool's own. */
    abstract Map<String, Object> addressing(Message request, String correlationId);

    private static void putIfSet(Map<String, Object> headers, String name, Object value) {
        if (value != null) {
            headers.put(name, value);
        }
    }
}
