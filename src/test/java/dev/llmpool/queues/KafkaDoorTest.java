package dev.llmpool.queues;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.fixture.KafkaBroker;

/**
 * The Kafka door against a real broker (KRaft, in this JVM, started once for the class): answers with keys and
 * correlation ids, dead letters, reply_to, bounded work in progress, redelivery without a second model call, and a
 * backend that is down. Each test has its own topics and consumer group.
 */
class KafkaDoorTest extends PoolTestSupport {

    static final KafkaBroker BROKER = KafkaBroker.start();
    private static final AtomicInteger TESTS = new AtomicInteger();

    private String requests;
    private String replies;
    private String deadLetters;
    private String group;
    private Properties overrides;

    @AfterAll
    static void stopBroker() {
        BROKER.close();
    }

    /** A cold JVM on a loaded machine misses the shipped 1.5 s deadline; the door, not the model, is under test. */
    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\npool.providers.phi3.max-concurrency=128\n";
    }

    /** Records one instance takes at once (below the default 64, so the bound is seen with fewer requests). */
    protected int maxInFlight() {
        return 16;
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        int n = TESTS.incrementAndGet();
        requests = "t" + n + ".requests";
        replies = "t" + n + ".replies";
        deadLetters = "t" + n + ".dlq";
        group = "pool-" + n;
        BROKER.createTopic(requests, 4);
        p.put("pool.kafka.bootstrap-servers", BROKER.bootstrapServers());
        p.put("pool.kafka.requests-topic", requests);
        p.put("pool.kafka.replies-topic", replies);
        p.put("pool.kafka.dead-letter-topic", deadLetters);
        p.put("pool.kafka.group-id", group);
        p.put("pool.kafka.max-in-flight", String.valueOf(maxInFlight()));
        overrides = p;
        return p;
    }

    /** Requests are sent only once the pool's consumer owns every partition (else they wait for a rebalance). */
    @BeforeEach
    void awaitPartitions() {
        assertTrue(eventually(Duration.ofSeconds(30), () -> BROKER.assignedPartitions(group) == 4),
                "the pool joined its consumer group");
    }

    @Test
    void aThousandRequestsAreAnsweredWithTheirKeysAndCorrelationIds() throws Exception {
        int n = 1000;
        List<ProducerRecord<String, String>> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(request(requests, "key-" + i, "corr-" + i, body("item " + i)));
        }
        try (KafkaConsumer<String, String> reader = BROKER.reader(replies)) {
            BROKER.sendAll(batch);
            List<ConsumerRecord<String, String>> answers = KafkaBroker.read(reader, n, Duration.ofSeconds(180));
            assertEquals(n, answers.size(), "every request answered");
            Map<String, ConsumerRecord<String, String>> byCorrelation = new HashMap<>();
            for (ConsumerRecord<String, String> a : answers) {
                String corr = header(a, "correlation_id");
                assertNotNull(corr, "correlation id copied back");
                assertEquals("key-" + corr.substring("corr-".length()), a.key(), "the request's key copied back");
                assertEquals("200", header(a, "llmpool_status"), a.value());
                JsonNode body = JSON.readTree(a.value());
                assertEquals("phi3 says hello", body.path("content").asText());
                assertEquals(body.path("request_id").asText(), header(a, "llmpool_request_id"));
                assertEquals(null, header(a, "Content-Type"), "nothing of the HTTP shape on the answer");
                byCorrelation.put(corr, a);
            }
            assertEquals(n, byCorrelation.size(), "each request answered once");
        }
        assertEquals(n, A.calls("phi3:mini"), "one model call per request");
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("kafka_consumer_fetch_manager_records_lag_max"), "consumer lag on /metrics");
    }

    @Test
    void noMoreThanMaxInFlightRequestsAreWorkedOnAtOnce() throws Exception {
        A.model("phi3:mini").latency(Duration.ofMillis(300));
        int n = 3 * maxInFlight();
        List<ProducerRecord<String, String>> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(request(requests, "k" + i, "slow-" + i, body("slow " + i)));
        }
        AtomicInteger most = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                most.accumulateAndGet(A.inFlight("phi3:mini"), Math::max);
                java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
            }
        });
        try (KafkaConsumer<String, String> reader = BROKER.reader(replies)) {
            sampler.start();
            BROKER.sendAll(batch);
            assertEquals(n, KafkaBroker.read(reader, n, Duration.ofSeconds(120)).size());
        } finally {
            sampler.interrupt();
        }
        assertTrue(most.get() <= maxInFlight(), "at most max-in-flight model calls at once, saw " + most.get());
        assertTrue(most.get() > 1, "requests of a batch are worked on together, saw " + most.get());
    }

    @Test
    void malformedAndInvalidMessagesAreAnsweredAndDeadLettered() throws Exception {
        try (KafkaConsumer<String, String> reader = BROKER.reader(replies);
             KafkaConsumer<String, String> dlq = BROKER.reader(deadLetters)) {
            BROKER.send(request(requests, "k", "bad-json", "this is not json"));
            BROKER.send(request(requests, "k", "bad-task", "{\"task\":\"no_such_task\",\"prompt\":\"x\"}"));
            BROKER.send(request(requests, "k", "no-prompt", "{\"task\":\"enrich_metadata\"}"));
            BROKER.send(request(requests, "k", "good", body("fine")));
            Map<String, ConsumerRecord<String, String>> answers = byCorrelation(KafkaBroker.read(reader, 4, Duration.ofSeconds(30)));
            assertEquals(4, answers.size());
            assertStatus(answers.get("bad-json"), "400", "malformed_json");
            assertStatus(answers.get("bad-task"), "404", "unknown_task");
            assertStatus(answers.get("no-prompt"), "400", "invalid_field");
            assertEquals("200", header(answers.get("good"), "llmpool_status"));

            Map<String, ConsumerRecord<String, String>> dead = byCorrelation(KafkaBroker.read(dlq, 3, Duration.ofSeconds(30)));
            assertEquals(3, dead.size(), "the three invalid requests, not the good one");
            assertEquals("this is not json", dead.get("bad-json").value(), "the request as it came");
            assertTrue(header(dead.get("bad-json"), "llmpool_error").startsWith("malformed_json: "),
                    header(dead.get("bad-json"), "llmpool_error"));
            assertTrue(header(dead.get("bad-task"), "llmpool_error").startsWith("unknown_task: "));
            assertEquals("{\"task\":\"enrich_metadata\"}", dead.get("no-prompt").value());
            assertEquals("k", dead.get("no-prompt").key());
        }
    }

    @Test
    void replyToHeaderNamesTheAnswersTopic() {
        String own = requests + ".mine";
        try (KafkaConsumer<String, String> mine = BROKER.reader(own);
             KafkaConsumer<String, String> shared = BROKER.reader(replies)) {
            ProducerRecord<String, String> toMine = request(requests, "same-partition", "to-mine", body("mine"));
            toMine.headers().add("reply_to", own.getBytes(StandardCharsets.UTF_8));
            BROKER.send(toMine);
            BROKER.send(request(requests, "same-partition", "to-shared", body("shared")));
            List<ConsumerRecord<String, String>> onShared = KafkaBroker.read(shared, 1, Duration.ofSeconds(30));
            List<ConsumerRecord<String, String>> onMine = KafkaBroker.read(mine, 1, Duration.ofSeconds(30));
            assertEquals(List.of("to-mine"), onMine.stream().map(r -> header(r, "correlation_id")).toList());
            // same key, same partition: the later request's answer on the shared topic comes after the first's
            assertEquals(List.of("to-shared"), onShared.stream().map(r -> header(r, "correlation_id")).toList(),
                    "the reply_to answer did not go to the shared topic");
        }
    }

    @Test
    void aRedeliveredMessageIsAnsweredAgainWithoutASecondModelCall() throws Exception {
        String noCache = "{\"task\":\"enrich_metadata\",\"prompt\":\"charge once\",\"cache\":false}";
        try (KafkaConsumer<String, String> reader = BROKER.reader(replies)) {
            BROKER.send(request(requests, "a", "first", noCache));
            ProducerRecord<String, String> keyed = request(requests, "b", "keyed-1", noCache.replace("once", "twice"));
            keyed.headers().add("idempotency_key", "order-7".getBytes(StandardCharsets.UTF_8));
            BROKER.send(keyed);
            // the same idempotency_key in another message: the first answer again
            ProducerRecord<String, String> again = request(requests, "b", "keyed-2", noCache.replace("once", "twice"));
            again.headers().add("idempotency_key", "order-7".getBytes(StandardCharsets.UTF_8));
            BROKER.send(again);
            Map<String, ConsumerRecord<String, String>> first = byCorrelation(KafkaBroker.read(reader, 3, Duration.ofSeconds(30)));
            assertEquals(3, first.size());
            assertEquals(2, A.calls("phi3:mini"), "keyed-2 replayed keyed-1's answer");
            assertEquals(first.get("keyed-1").value(), first.get("keyed-2").value());

            // the same records delivered again (offsets moved back, as after a crash before the commit)
            context.getRouteController().stopRoute("kafka-requests");
            rewind(requests, group);
            context.getRouteController().startRoute("kafka-requests");
            Map<String, ConsumerRecord<String, String>> second = byCorrelation(KafkaBroker.read(reader, 3, Duration.ofSeconds(30)));
            assertEquals(3, second.size(), "every redelivered record answered");
            assertEquals(first.get("first").value(), second.get("first").value(), "the first answer, byte for byte");
            assertEquals("200", header(second.get("first"), "llmpool_status"));
            assertEquals(2, A.calls("phi3:mini"), "no model called for a redelivered record");
        }
    }

    @Test
    void withTheBackendDownRequestsAreAnsweredAtTheirDeadline() throws Exception {
        A.model("phi3:mini").hang();
        try (KafkaConsumer<String, String> reader = BROKER.reader(replies)) {
            for (int i = 0; i < 5; i++) {
                BROKER.send(request(requests, "k" + i, "down-" + i,
                        "{\"task\":\"enrich_metadata\",\"prompt\":\"p" + i + "\",\"deadline_ms\":400}"));
            }
            Map<String, ConsumerRecord<String, String>> answers = byCorrelation(KafkaBroker.read(reader, 5, Duration.ofSeconds(30)));
            assertEquals(5, answers.size(), "none lost");
            for (ConsumerRecord<String, String> a : answers.values()) {
                String status = header(a, "llmpool_status");
                assertTrue(status.equals("504") || status.equals("503"), status + " " + a.value());
                assertTrue(JSON.readTree(a.value()).path("request_id").asText().length() > 0);
            }
        }
    }

    @Test
    void twoInstancesShareThePartitionsAndOneStoppingMidStreamLosesNothing() throws Exception {
        A.model("phi3:mini").latency(Duration.ofMillis(150));
        B.model("phi3:mini").answer("second says hello").latency(Duration.ofMillis(150));
        Main second = startSecondInstance();
        int n = 400;
        Map<String, List<String>> answers = new HashMap<>();
        boolean stopped = false;
        try (KafkaConsumer<String, String> reader = BROKER.reader(replies)) {
            assertTrue(eventually(Duration.ofSeconds(60), () -> BROKER.members(group) == 2
                    && BROKER.assignedPartitions(group) == 4), "both instances in the group, 4 partitions between them");
            List<ProducerRecord<String, String>> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                batch.add(request(requests, "k" + i, "shared-" + i, body("shared " + i)));
            }
            BROKER.sendAll(batch);
            long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            while (answers.size() < n && System.nanoTime() < until) {
                for (ConsumerRecord<String, String> a : reader.poll(Duration.ofMillis(100))) {
                    answers.computeIfAbsent(header(a, "correlation_id"), c -> new ArrayList<>())
                            .add(JSON.readTree(a.value()).path("content").asText());
                }
                boolean secondAnswered = answers.values().stream().anyMatch(c -> c.contains("second says hello"));
                if (!stopped && secondAnswered && answers.size() >= n / 4) {
                    second.stop();  // mid-stream: its batch in progress finishes and is committed, the rest moves over
                    stopped = true;
                }
            }
        } finally {
            second.stop();
        }
        assertTrue(stopped);
        assertEquals(n, answers.size(), "every request answered");
        List<String> all = answers.values().stream().flatMap(List::stream).toList();
        assertTrue(all.contains("phi3 says hello") && all.contains("second says hello"), "both instances answered");
        assertTrue(all.stream().allMatch(c -> c.equals("phi3 says hello") || c.equals("second says hello")), "200s only");
    }

    /** A second pool in this JVM: same routes and group, its phi3 on backend B (so its answers can be told apart). */
    private Main startSecondInstance() throws Exception {
        java.nio.file.Path config = workDir.resolve("second.properties");
        java.nio.file.Files.writeString(config, shippedConfig().replace("pool.providers.phi3.url=" + A.url(),
                "pool.providers.phi3.url=" + B.url()) + "\n" + extraConfig());
        Main main = new Main(dev.llmpool.Application.class);
        main.configure().withBasePackageScan(dev.llmpool.Application.class.getPackageName());
        main.setPropertyPlaceholderLocations("classpath:application.properties");
        overrides.forEach((k, v) -> main.addOverrideProperty(k.toString(), v.toString()));
        main.addOverrideProperty("pool.config.file", config.toString());
        main.addOverrideProperty("pool.http.port", String.valueOf(dev.llmpool.startup.FreePorts.next()));
        main.addOverrideProperty("pool.grpc.port", String.valueOf(dev.llmpool.startup.FreePorts.next()));
        main.addOverrideProperty("camel.main.routesReloadEnabled", "false");
        main.start();
        return main;
    }

    // --- helpers ---------------------------------------------------------------------------------------------

    static String body(String prompt) {
        return "{\"task\":\"enrich_metadata\",\"prompt\":\"" + prompt + "\"}";
    }

    static ProducerRecord<String, String> request(String topic, String key, String correlationId, String value) {
        ProducerRecord<String, String> r = new ProducerRecord<>(topic, key, value);
        r.headers().add("correlation_id", correlationId.getBytes(StandardCharsets.UTF_8));
        return r;
    }

    static String header(ConsumerRecord<String, String> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static Map<String, ConsumerRecord<String, String>> byCorrelation(List<ConsumerRecord<String, String>> records) {
        Map<String, ConsumerRecord<String, String>> m = new HashMap<>();
        records.forEach(r -> m.put(header(r, "correlation_id"), r));
        return m;
    }

    private static void assertStatus(ConsumerRecord<String, String> answer, String status, String code) throws Exception {
        assertNotNull(answer);
        assertEquals(status, header(answer, "llmpool_status"), answer.value());
        JsonNode body = JSON.readTree(answer.value());
        assertEquals(code, body.path("error").path("code").asText(), answer.value());
        assertEquals(body.path("request_id").asText(), header(answer, "llmpool_request_id"));
    }

    /** Moves the group's offsets back to the start of every partition (the group must have no member). */
    private static void rewind(String topic, String group) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.bootstrapServers()))) {
            assertTrue(eventually(Duration.ofSeconds(30), () -> BROKER.members(group) == 0), "the consumer left");
            Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
            for (int p = 0; p < 4; p++) {
                start.put(new TopicPartition(topic, p), new OffsetAndMetadata(0));
            }
            admin.alterConsumerGroupOffsets(group, start).all().get();
        }
    }
}
