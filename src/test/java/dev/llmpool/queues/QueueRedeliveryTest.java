package dev.llmpool.queues;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.qpid.jms.JmsConnectionFactory;
import org.apache.qpid.jms.JmsDestination;
import org.apache.qpid.jms.JmsSession;
import org.apache.qpid.jms.message.JmsMessageIDBuilder;
import org.apache.qpid.jms.policy.JmsMessageIDPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.fixture.ArtemisBroker;
import dev.llmpool.fixture.RedisServer;
import dev.llmpool.fixture.SecondInstance;

/**
 * A JMS message that comes again (the same {@code JMSMessageID}, as a broker redelivers an unacknowledged message) is
 * answered from the idempotency store without a second model call: within one instance, and on another instance
 * sharing the store through Redis ({@code pool.cache.backend=redis}, a redis-server started by the test). The
 * requester here gives every message it sends one fixed message id, which is what a redelivery looks like to the
 * pool; the requests carry no {@code idempotency_key} and ask for no caching, so only the message id can save the
 * model call.
 */
class QueueRedeliveryTest extends PoolTestSupport {

    static final ArtemisBroker BROKER = ArtemisBroker.start();
    static final RedisServer REDIS = RedisServer.start();
    private static final AtomicInteger TESTS = new AtomicInteger();
    private static final String NO_CACHE = "{\"task\":\"enrich_metadata\",\"prompt\":\"charge once\",\"cache\":false}";

    private String requests;
    private String replies;
    private Properties overrides;

    @AfterAll
    static void stopBrokers() {
        BROKER.close();
        REDIS.close();
    }

    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\n";
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        int n = TESTS.incrementAndGet();
        requests = "redelivery" + n + ".requests";
        replies = "redelivery" + n + ".replies";
        p.put("pool.jms.url", BROKER.url());
        p.put("pool.jms.requests-queue", requests);
        p.put("pool.jms.replies-queue", replies);
        p.put("pool.jms.dead-letter-queue", "redelivery" + n + ".dlq");
        p.put("pool.cache.backend", "redis");
        p.put("pool.redis.url", REDIS.url());
        p.put("pool.redis.timeout-ms", "5000");  // a loaded machine: a slow Redis call would skip the shared store
        overrides = p;
        try (Jedis redis = new Jedis("127.0.0.1", REDIS.port())) {
            redis.flushAll();
        }
        return p;
    }

    @Test
    void theSameMessageIdAgainIsAnsweredWithoutASecondModelCall() throws Exception {
        try (Connection client = connection("ID:order-redelivered-" + requests)) {
            Session session = client.createSession(false, Session.AUTO_ACKNOWLEDGE);
            send(session, NO_CACHE, "first");
            List<Message> first = receive(session, 1);
            send(session, NO_CACHE, "again");
            List<Message> again = receive(session, 1);
            assertEquals("200", first.get(0).getStringProperty("llmpool_status"));
            assertEquals("again", again.get(0).getJMSCorrelationID());
            assertEquals(((TextMessage) first.get(0)).getText(), ((TextMessage) again.get(0)).getText(),
                    "the first answer, byte for byte");
            assertEquals(1, A.calls("phi3:mini"), "one model call for the message and its redelivery");
        }
        try (Connection other = connection(null)) {  // the broker's own ids: a new message is a new request
            Session session = other.createSession(false, Session.AUTO_ACKNOWLEDGE);
            send(session, NO_CACHE, "new");
            assertEquals("200", receive(session, 1).get(0).getStringProperty("llmpool_status"));
            assertEquals(2, A.calls("phi3:mini"), "the same body in another message is computed again");
        }
    }

    @Test
    void aMessageRedeliveredToAnotherInstanceIsAnsweredFromTheSharedStore() throws Exception {
        try (Connection client = connection("ID:moved-" + requests)) {
            Session session = client.createSession(false, Session.AUTO_ACKNOWLEDGE);
            send(session, NO_CACHE, "on-first");
            Message first = receive(session, 1).get(0);
            assertEquals("200", first.getStringProperty("llmpool_status"));
            // this instance leaves the queue (as when it stops) and another instance on the same Redis takes over
            context.getRouteController().stopRoute("jms-requests");
            try (SecondInstance second = SecondInstance.start(overrides, HttpRequest.newBuilder().GET())) {
                send(session, NO_CACHE, "on-second");
                Message again = receive(session, 1).get(0);
                assertEquals("on-second", again.getJMSCorrelationID());
                assertEquals(((TextMessage) first).getText(), ((TextMessage) again).getText(),
                        "the first instance's answer, from Redis");
                assertEquals(1, A.calls("phi3:mini"), "no second model call on the other instance");
            }
        }
    }

    /** A requester connection; with {@code fixedId} every message it sends carries that JMSMessageID. */
    private static Connection connection(String fixedId) throws JMSException {
        JmsConnectionFactory factory = new JmsConnectionFactory(BROKER.url());
        if (fixedId != null) {
            factory.setMessageIDPolicy(new FixedMessageId(fixedId));
        }
        Connection c = factory.createConnection();
        c.start();
        return c;
    }

    private void send(Session session, String body, String correlationId) throws JMSException {
        MessageProducer producer = session.createProducer(session.createQueue(requests));
        TextMessage m = session.createTextMessage(body);
        m.setJMSCorrelationID(correlationId);
        producer.send(m);
        producer.close();
    }

    private List<Message> receive(Session session, int count) throws JMSException {
        List<Message> got = new ArrayList<>();
        try (MessageConsumer consumer = session.createConsumer(session.createQueue(replies))) {
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (got.size() < count && System.nanoTime() < until) {
                Message m = consumer.receive(500);
                if (m != null) {
                    got.add(m);
                }
            }
        }
        assertEquals(count, got.size(), "answers received");
        assertNotNull(got.get(0).getStringProperty("llmpool_request_id"));
        return got;
    }

    /** Qpid JMS's hook for message ids: here one id for every message, as a redelivery has its original's. */
    private record FixedMessageId(String id) implements JmsMessageIDPolicy {
        @Override
        public JmsMessageIDPolicy copy() {
            return this;
        }

        @Override
        public JmsMessageIDBuilder getMessageIDBuilder(JmsSession session, JmsDestination destination) {
            return (producerId, sequence) -> id;
        }
    }
}
