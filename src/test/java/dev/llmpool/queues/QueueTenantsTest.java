package dev.llmpool.queues;

import static dev.llmpool.queues.KafkaDoorTest.body;
import static dev.llmpool.queues.KafkaDoorTest.byCorrelation;
import static dev.llmpool.queues.KafkaDoorTest.header;
import static dev.llmpool.queues.KafkaDoorTest.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.auth.ApiKeys;
import dev.llmpool.fixture.KafkaBroker;
import dev.llmpool.startup.FreePorts;

/**
 * The Kafka door with auth on, acting as tenant {@code batch} ({@code pool.kafka.tenant}; enrich_metadata only,
 * {@link #PER_MINUTE} requests a minute): an allowed task is answered, another task is answered 403 and
 * dead-lettered, requests over the limit are answered 429 and not dead-lettered, the operations page counts the
 * door's traffic, and the pool does not start when the door names no tenant.
 */
class QueueTenantsTest extends PoolTestSupport {

    static final KafkaBroker BROKER = KafkaBroker.start();
    private static final AtomicInteger TESTS = new AtomicInteger();
    private static final String ADMIN_KEY = "lp_queue-tenants-admin-0123456789";
    private static final int PER_MINUTE = 4;

    private String requests;
    private String replies;
    private String deadLetters;
    private String group;
    private Properties overrides;

    @AfterAll
    static void stopBroker() {
        BROKER.close();
    }

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.auth.enabled=true
                pool.tenants.ops.api-key-sha256=%s
                pool.tenants.ops.admin=true
                pool.tenants.batch.tasks=enrich_metadata
                pool.tenants.batch.requests-per-minute=%d
                """.formatted(ApiKeys.sha256Hex(ADMIN_KEY), PER_MINUTE);
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        int n = TESTS.incrementAndGet();
        requests = "tenants" + n + ".requests";
        replies = "tenants" + n + ".replies";
        deadLetters = "tenants" + n + ".dlq";
        group = "tenants-" + n;
        BROKER.createTopic(requests, 1);
        p.put("pool.kafka.bootstrap-servers", BROKER.bootstrapServers());
        p.put("pool.kafka.requests-topic", requests);
        p.put("pool.kafka.replies-topic", replies);
        p.put("pool.kafka.dead-letter-topic", deadLetters);
        p.put("pool.kafka.group-id", group);
        p.put("pool.kafka.tenant", "batch");
        overrides = p;
        return p;
    }

    private void awaitPartition() {
        assertTrue(eventually(Duration.ofSeconds(30), () -> BROKER.assignedPartitions(group) == 1),
                "the pool joined its consumer group");
    }

    @Test
    void theTenantsTaskIsAnsweredAnotherIsRefusedAndDeadLetteredAndTheOpsPageCountsBoth() throws Exception {
        awaitPartition();
        try (KafkaConsumer<String, String> reader = BROKER.reader(replies);
             KafkaConsumer<String, String> dlq = BROKER.reader(deadLetters)) {
            BROKER.send(request(requests, "k1", "allowed", body("fine")));
            String other = "{\"task\":\"expand_queries\",\"prompt\":\"not for batch\"}";
            BROKER.send(request(requests, "k2", "forbidden", other));
            Map<String, ConsumerRecord<String, String>> answers = byCorrelation(KafkaBroker.read(reader, 2, Duration.ofSeconds(30)));
            assertEquals("200", header(answers.get("allowed"), "llmpool_status"), answers.get("allowed").value());
            ConsumerRecord<String, String> refused = answers.get("forbidden");
            assertEquals("403", header(refused, "llmpool_status"), refused.value());
            JsonNode error = JSON.readTree(refused.value()).path("error");
            assertEquals("forbidden", error.path("code").asText());
            assertTrue(error.path("message").asText().contains("'batch'"), "the door's tenant named: " + refused.value());
            assertEquals(JSON.readTree(refused.value()).path("request_id").asText(), header(refused, "llmpool_request_id"));

            List<ConsumerRecord<String, String>> dead = KafkaBroker.read(dlq, 1, Duration.ofSeconds(30));
            assertEquals(1, dead.size());
            assertEquals(other, dead.get(0).value(), "the refused request as it came");
            assertEquals("forbidden", header(dead.get(0), "correlation_id"));
            assertTrue(header(dead.get(0), "llmpool_error").startsWith("forbidden: "), header(dead.get(0), "llmpool_error"));
        }
        assertEquals(1, A.calls("phi3:mini"), "the refused request reached no model");

        JsonNode status = adminStatus();
        JsonNode door = status.path("queues").get(0);
        assertNotNull(door, status.toString());
        assertEquals("kafka", door.path("api").asText());
        assertEquals("topic " + requests, door.path("source").asText());
        assertEquals("batch", door.path("tenant").asText());
        assertEquals(2, door.path("answered").asLong());
        assertEquals(1, door.path("dead_lettered").asLong());
        assertTrue(eventually(Duration.ofSeconds(10), () -> adminStatus().path("queues").get(0).has("consumer_lag")),
                () -> "the consumer's lag, once its meters have values; /metrics has: " + lagLines());
        assertEquals(0, adminStatus().path("queues").get(0).path("consumer_lag").asLong(), "everything read");
    }

    @Test
    void requestsOverTheTenantsLimitAreAnswered429AndNotDeadLettered() throws Exception {
        awaitPartition();
        int n = PER_MINUTE + 3;
        List<ProducerRecord<String, String>> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(request(requests, "k" + i, "r" + i, body("item " + i)));
        }
        try (KafkaConsumer<String, String> reader = BROKER.reader(replies);
             KafkaConsumer<String, String> dlq = BROKER.reader(deadLetters)) {
            BROKER.sendAll(batch);
            List<ConsumerRecord<String, String>> answers = KafkaBroker.read(reader, n, Duration.ofSeconds(30));
            assertEquals(n, byCorrelation(answers).size(), "every request answered");
            long ok = answers.stream().filter(a -> "200".equals(header(a, "llmpool_status"))).count();
            List<ConsumerRecord<String, String>> limited = answers.stream()
                    .filter(a -> "429".equals(header(a, "llmpool_status"))).toList();
            assertEquals(PER_MINUTE, ok, "exactly the tenant's requests a minute");
            assertEquals(n - PER_MINUTE, limited.size());
            assertEquals("rate_limited", JSON.readTree(limited.get(0).value()).path("error").path("code").asText());
            assertTrue(KafkaBroker.read(dlq, 1, Duration.ofSeconds(2)).isEmpty(), "a 429 is not dead-lettered");
        }
        assertEquals(PER_MINUTE, A.calls("phi3:mini"));
    }

    @Test
    void withAuthOnTheDoorMustNameAConfiguredTenant() throws Exception {
        awaitPartition();
        RuntimeException none = assertThrows(RuntimeException.class, () -> startAnother(null));
        assertTrue(causes(none).contains("pool.kafka.tenant is required"), causes(none));
        RuntimeException unknown = assertThrows(RuntimeException.class, () -> startAnother("nobody"));
        assertTrue(causes(unknown).contains("pool.kafka.tenant names tenant 'nobody', which is not configured"),
                causes(unknown));
    }

    private String lagLines() {
        String metrics = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .header("Authorization", "Bearer " + ADMIN_KEY).timeout(Duration.ofSeconds(20)).GET().build()).body();
        return metrics.lines().filter(l -> l.contains("records_lag")).toList().toString();
    }

    private JsonNode adminStatus() {
        return json(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ui/api/status"))
                .header("Authorization", "Bearer " + ADMIN_KEY).timeout(Duration.ofSeconds(20)).GET().build()));
    }

    /** A second pool on this configuration whose Kafka door names {@code tenant} (none when null); it must not start. */
    private void startAnother(String tenant) throws Exception {
        Path config = workDir.resolve("another.properties");
        Files.writeString(config, shippedConfig() + "\n" + extraConfig());
        Main main = new Main(dev.llmpool.Application.class);
        main.configure().withBasePackageScan(dev.llmpool.Application.class.getPackageName());
        main.setPropertyPlaceholderLocations("classpath:application.properties");
        overrides.forEach((k, v) -> main.addOverrideProperty(k.toString(), v.toString()));
        main.addOverrideProperty("pool.kafka.tenant", tenant == null ? "" : tenant);
        main.addOverrideProperty("pool.kafka.group-id", group + "-another");
        main.addOverrideProperty("pool.config.file", config.toString());
        main.addOverrideProperty("pool.http.port", String.valueOf(FreePorts.next()));
        main.addOverrideProperty("pool.grpc.port", String.valueOf(FreePorts.next()));
        main.addOverrideProperty("camel.main.routesReloadEnabled", "false");
        try {
            main.start();
        } finally {
            main.stop();
        }
    }

    private static String causes(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append(" | ");
        }
        return all.toString();
    }
}
