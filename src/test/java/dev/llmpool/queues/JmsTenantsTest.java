package dev.llmpool.queues;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.jms.Message;
import jakarta.jms.MessageProducer;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.Test;


/**
 * The JMS door with auth on, acting as tenant {@code batch} ({@code pool.jms.tenant}; enrich_metadata only,
 * {@link #PER_MINUTE} requests a minute), as QueueTenantsTest checks the Kafka door: an allowed task is answered,
 * another task is answered 403 and dead-lettered, requests over the limit are answered 429 and not dead-lettered.
 */
class JmsTenantsTest extends JmsTestSupport {

    private static final int PER_MINUTE = 4;

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.auth.enabled=true
                pool.tenants.batch.tasks=enrich_metadata
                pool.tenants.batch.requests-per-minute=%d
                """.formatted(PER_MINUTE);
    }

    @Override
    protected Map<String, String> moreSettings() {
        return Map.of("pool.jms.tenant", "batch");
    }

    @Test
    void theTenantsTaskIsAnsweredAndAnotherIsRefusedAndDeadLettered() throws Exception {
        MessageProducer producer = session.createProducer(session.createQueue(requests));
        producer.send(message(body("fine"), "allowed"));
        String other = "{\"task\":\"expand_queries\",\"prompt\":\"not for batch\"}";
        producer.send(message(other, "forbidden"));
        Map<String, Message> answers = new HashMap<>();
        for (Message a : receive(session.createQueue(replies), 2)) {
            answers.put(a.getJMSCorrelationID(), a);
        }
        assertEquals("200", answers.get("allowed").getStringProperty("llmpool_status"));
        Message refused = answers.get("forbidden");
        String refusedBody = ((TextMessage) refused).getText();
        assertEquals("403", refused.getStringProperty("llmpool_status"), refusedBody);
        JsonNode error = JSON.readTree(refusedBody).path("error");
        assertEquals("forbidden", error.path("code").asText());
        assertTrue(error.path("message").asText().contains("'batch'"), "the door's tenant named: " + refusedBody);
        assertEquals(JSON.readTree(refusedBody).path("request_id").asText(), refused.getStringProperty("llmpool_request_id"));

        List<Message> dead = receive(session.createQueue(deadLetters), 1);
        assertEquals(1, dead.size());
        assertEquals(other, dead.get(0).getBody(String.class), "the refused request as it came");
        assertEquals("forbidden", dead.get(0).getJMSCorrelationID());
        assertEquals("403", dead.get(0).getStringProperty("llmpool_status"));
        assertTrue(dead.get(0).getStringProperty("llmpool_error").startsWith("forbidden: "),
                dead.get(0).getStringProperty("llmpool_error"));
        assertTrue(receive(session.createQueue(deadLetters), 1, Duration.ofMillis(300)).isEmpty(), "only the refused one");
        assertEquals(1, A.calls("phi3:mini"), "the refused request reached no model");
    }

    @Test
    void requestsOverTheTenantsLimitAreAnswered429AndNotDeadLettered() throws Exception {
        int n = PER_MINUTE + 3;
        MessageProducer producer = session.createProducer(session.createQueue(requests));
        for (int i = 0; i < n; i++) {
            producer.send(message(body("item " + i), "r" + i));
        }
        List<Message> answers = receive(session.createQueue(replies), n);
        assertEquals(n, answers.size(), "every request answered");
        List<Message> limited = new ArrayList<>();
        int ok = 0;
        for (Message a : answers) {
            String status = a.getStringProperty("llmpool_status");
            if (status.equals("200")) {
                ok++;
            } else if (status.equals("429")) {
                limited.add(a);
            }
        }
        assertEquals(PER_MINUTE, ok, "exactly the tenant's requests a minute");
        assertEquals(n - PER_MINUTE, limited.size());
        assertEquals("rate_limited",
                JSON.readTree(((TextMessage) limited.get(0)).getText()).path("error").path("code").asText());
        assertTrue(receive(session.createQueue(deadLetters), 1, Duration.ofSeconds(2)).isEmpty(), "a 429 is not dead-lettered");
        assertEquals(PER_MINUTE, A.calls("phi3:mini"));
    }

    private TextMessage message(String body, String correlationId) throws Exception {
        TextMessage m = session.createTextMessage(body);
        m.setJMSCorrelationID(correlationId);
        return m;
    }
}
