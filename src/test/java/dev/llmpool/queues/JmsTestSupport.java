package dev.llmpool.queues;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import org.apache.qpid.jms.JmsConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.fixture.ArtemisBroker;

/**
 * The pool with its JMS door on, against a real embedded ActiveMQ Artemis started once for each test class
 * ({@link #broker}): each test has its own requests, replies and dead-letter queues and a client session to them.
 */
public abstract class JmsTestSupport extends PoolTestSupport {

    private static final AtomicInteger TESTS = new AtomicInteger();
    private static ArtemisBroker broker;

    protected String requests;
    protected String replies;
    protected String deadLetters;
    protected Connection client;
    protected Session session;

    @BeforeAll
    static void startBroker() {
        broker = ArtemisBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    /** The test class's broker. */
    protected static ArtemisBroker broker() {
        return broker;
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        int n = TESTS.incrementAndGet();
        requests = "j" + n + ".requests";
        replies = "j" + n + ".replies";
        deadLetters = "j" + n + ".dlq";
        p.put("pool.jms.url", broker().url());
        p.put("pool.jms.requests-queue", requests);
        p.put("pool.jms.replies-queue", replies);
        p.put("pool.jms.dead-letter-queue", deadLetters);
        p.putAll(moreSettings());
        return p;
    }

    /** Start-up settings a test class adds to the door's (what routes and beans read; extraConfig is the reloaded file). */
    protected Map<String, String> moreSettings() {
        return Map.of();
    }

    @BeforeEach
    void connect() throws JMSException {
        client = new JmsConnectionFactory(broker().url()).createConnection();
        client.start();
        session = client.createSession(false, Session.AUTO_ACKNOWLEDGE);
    }

    @AfterEach
    void disconnect() throws JMSException {
        client.close();
    }

    /** enrich_metadata has one provider (phi3 on backend A) and no hedge: one request, one backend call. */
    protected static String body(String prompt) {
        return "{\"task\":\"enrich_metadata\",\"prompt\":\"" + prompt + "\"}";
    }

    protected List<Message> receive(Queue queue, int count) throws JMSException {
        return receive(queue, count, Duration.ofSeconds(60));
    }

    /** Up to {@code count} messages from the queue, as many as arrive within {@code limit}. */
    protected List<Message> receive(Queue queue, int count, Duration limit) throws JMSException {
        List<Message> got = new ArrayList<>();
        long until = System.nanoTime() + limit.toNanos();
        try (MessageConsumer consumer = session.createConsumer(queue)) {
            while (got.size() < count) {
                long left = (until - System.nanoTime()) / 1_000_000;
                Message m = left > 0 ? consumer.receive(left) : null;
                if (m == null) {
                    break;
                }
                got.add(m);
            }
        }
        return got;
    }
}
