package dev.llmpool.queues;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.jms.Message;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.Test;


/**
 * The JMS door (AMQP 1.0, Qpid JMS) against a real embedded ActiveMQ Artemis started once for the class:
 * JMSReplyTo request-reply with JMSCorrelationID, the replies queue for requests without JMSReplyTo, dead letters,
 * a repeated idempotency key, and a backend that is down. Each test has its own queues.
 */
class JmsDoorTest extends JmsTestSupport {


    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\npool.providers.phi3.max-concurrency=128\n";
    }

    @Override
    protected Map<String, String> moreSettings() {
        return Map.of("pool.jms.max-in-flight", "16");
    }

    @Test
    void requestReplyAnswersToJmsReplyToWithTheCorrelationId() throws Exception {
        int n = 200;
        Queue mine = session.createQueue(requests + ".mine");
        MessageProducer producer = session.createProducer(session.createQueue(requests));
        Map<String, String> expected = new HashMap<>();  // correlation id the answer must carry -> prompt
        for (int i = 0; i < n; i++) {
            TextMessage m = session.createTextMessage(body("item " + i));
            m.setJMSReplyTo(mine);
            if (i % 2 == 0) {
                m.setJMSCorrelationID("corr-" + i);
            }
            producer.send(m);
            expected.put(i % 2 == 0 ? "corr-" + i : m.getJMSMessageID(), "item " + i);
        }
        List<Message> answers = receive(mine, n);
        assertEquals(n, answers.size(), "every request answered");
        Map<String, Message> byCorrelation = new HashMap<>();
        for (Message a : answers) {
            assertEquals("200", a.getStringProperty("llmpool_status"));
            JsonNode body = JSON.readTree(((TextMessage) a).getText());
            assertEquals("phi3 says hello", body.path("content").asText());
            assertEquals(body.path("request_id").asText(), a.getStringProperty("llmpool_request_id"));
            byCorrelation.put(a.getJMSCorrelationID(), a);
        }
        assertEquals(expected.keySet(), byCorrelation.keySet(),
                "each answer carries its request's JMSCorrelationID, or its message id when it had none");
        assertEquals(n, A.calls("phi3:mini"));
        assertTrue(receive(session.createQueue(replies), 1, Duration.ofMillis(300)).isEmpty(), "nothing on the replies queue");
    }

    @Test
    void withoutJmsReplyToAnswersGoToTheRepliesQueueAndInvalidOnesAreDeadLettered() throws Exception {
        MessageProducer producer = session.createProducer(session.createQueue(requests));
        TextMessage good = session.createTextMessage(body("no reply-to"));
        good.setJMSCorrelationID("good");
        producer.send(good);
        TextMessage bad = session.createTextMessage("{not json");
        bad.setJMSCorrelationID("bad");
        producer.send(bad);
        Map<String, Message> answers = new HashMap<>();
        for (Message a : receive(session.createQueue(replies), 2)) {
            answers.put(a.getJMSCorrelationID(), a);
        }
        assertEquals("200", answers.get("good").getStringProperty("llmpool_status"));
        assertEquals("400", answers.get("bad").getStringProperty("llmpool_status"));
        JsonNode error = JSON.readTree(((TextMessage) answers.get("bad")).getText());
        assertEquals("malformed_json", error.path("error").path("code").asText());
        assertEquals(error.path("request_id").asText(), answers.get("bad").getStringProperty("llmpool_request_id"));

        List<Message> dead = receive(session.createQueue(deadLetters), 1);
        assertEquals(1, dead.size());
        assertEquals("{not json", dead.get(0).getBody(String.class), "the request as it came");
        assertEquals("bad", dead.get(0).getJMSCorrelationID());
        assertTrue(dead.get(0).getStringProperty("llmpool_error").startsWith("malformed_json: "));
        assertTrue(receive(session.createQueue(deadLetters), 1, Duration.ofMillis(300)).isEmpty(), "only the bad one");
    }

    @Test
    void aRepeatedIdempotencyKeyIsAnsweredWithoutASecondModelCall() throws Exception {
        MessageProducer producer = session.createProducer(session.createQueue(requests));
        String body = "{\"task\":\"enrich_metadata\",\"prompt\":\"charge once\",\"cache\":false}";
        for (String corr : List.of("try-1", "try-2")) {
            TextMessage m = session.createTextMessage(body);
            m.setJMSCorrelationID(corr);
            m.setStringProperty("idempotency_key", "order-9");
            producer.send(m);
        }
        List<Message> answers = receive(session.createQueue(replies), 2);
        assertEquals(2, answers.size());
        assertEquals(((TextMessage) answers.get(0)).getText(), ((TextMessage) answers.get(1)).getText(),
                "the first answer again");
        assertEquals(1, A.calls("phi3:mini"));
    }

    @Test
    void withTheBackendDownRequestsAreAnsweredAtTheirDeadline() throws Exception {
        A.model("phi3:mini").hang();
        MessageProducer producer = session.createProducer(session.createQueue(requests));
        for (int i = 0; i < 3; i++) {
            producer.send(session.createTextMessage(
                    "{\"task\":\"enrich_metadata\",\"prompt\":\"p" + i + "\",\"deadline_ms\":400}"));
        }
        List<Message> answers = receive(session.createQueue(replies), 3);
        assertEquals(3, answers.size(), "none lost");
        for (Message a : answers) {
            String status = a.getStringProperty("llmpool_status");
            assertTrue(status.equals("504") || status.equals("503"), status);
            assertNotNull(a.getStringProperty("llmpool_request_id"));
        }
        assertNull(session.createConsumer(session.createQueue(requests)).receive(300), "the requests were all consumed");
    }
}
