package dev.llmpool.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.llmpool.auth.ApiKeys;
import dev.llmpool.fixture.FakeBackend;
import dev.llmpool.fixture.KafkaBroker;
import dev.llmpool.fixture.PoolProcess;
import dev.llmpool.fixture.RedisServer;

/**
 * Three pool processes on loopback sharing one Redis (pool.cache.backend=redis) and one Kafka broker (one consumer
 * group), as behind a load balancer, with auth on: an Idempotency-Key sent to one instance is replayed by another, an
 * answer cached by one is a hit on another, a tenant's requests-a-minute limit holds across the three, and an
 * instance stopped with SIGTERM under HTTP load and mid-way through a Kafka stream loses no request and no record.
 * The callers do what a load balancer does: a request whose connection is refused, or closed before any answer, is
 * sent to the next instance (it was never read). Kafka is at least once: a record may be answered twice (its
 * partition moved before its batch was committed), never not at all.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private static final FakeBackend BACKEND = FakeBackend.start();
    /** Every task, no limit: the load and the cache and idempotency checks. */
    private static final String FLEET_KEY = "lp_fleet-test-key-0123456789";
    /** Limited to {@link #METERED_PER_MINUTE} requests a minute, whichever instance they reach. */
    private static final String METERED_KEY = "lp_metered-test-key-9876543210";
    private static final int METERED_PER_MINUTE = 20;
    private static final String REQUESTS = "fleet.requests";
    private static final String REPLIES = "fleet.replies";
    private static final String GROUP = "fleet";
    private static final int PARTITIONS = 6;
    private static RedisServer redis;
    private static KafkaBroker kafka;
    private static final List<PoolProcess> POOLS = new ArrayList<>();

    @BeforeAll
    static void startFleet() throws Exception {
        BACKEND.model("phi3:mini").answer(r -> "answer " + System.nanoTime()).latency(Duration.ofMillis(200));
        BACKEND.model("llama3.1:8b").answer("llama says hello");
        BACKEND.model("gemma2:9b").answer("gemma says hello");
        redis = RedisServer.start();
        kafka = KafkaBroker.start();
        kafka.createTopic(REQUESTS, PARTITIONS);
        String config = PoolProcess.backends(BACKEND, BACKEND, BACKEND) + """

                pool.cache.backend=redis
                pool.redis.url=%s
                pool.redis.timeout-ms=5000
                pool.shutdown.grace-ms=1000
                pool.limits.max-deadline-ms=5000
                pool.providers.phi3.max-concurrency=64
                pool.health.timeout-ms=5000
                pool.auth.enabled=true
                pool.tenants.fleet.api-key-sha256=%s
                pool.tenants.metered.api-key-sha256=%s
                pool.tenants.metered.requests-per-minute=%d
                pool.kafka.bootstrap-servers=%s
                pool.kafka.requests-topic=%s
                pool.kafka.replies-topic=%s
                pool.kafka.group-id=%s
                pool.kafka.tenant=fleet
                pool.kafka.max-in-flight=16
                """.formatted(redis.url(), ApiKeys.sha256Hex(FLEET_KEY), ApiKeys.sha256Hex(METERED_KEY),
                METERED_PER_MINUTE, kafka.bootstrapServers(), REQUESTS, REPLIES, GROUP);
        List<CompletableFuture<PoolProcess>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return PoolProcess.start(config);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<PoolProcess> s : starting) {
            POOLS.add(s.get(120, TimeUnit.SECONDS));
        }
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!(kafka.members(GROUP) == 3 && kafka.assignedPartitions(GROUP) == PARTITIONS) && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertEquals(3, kafka.members(GROUP), "the three instances in one consumer group");
    }

    @AfterAll
    static void stopFleet() throws InterruptedException {
        for (PoolProcess p : POOLS) {
            p.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        BACKEND.close();
    }

    private static HttpResponse<String> post(PoolProcess pool, String body, String... headers) throws IOException,
            InterruptedException {
        return postAs(FLEET_KEY, pool, body, headers);
    }

    private static HttpResponse<String> postAs(String apiKey, PoolProcess pool, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(pool.url() + "/v1/infer"))
                .header("Content-Type", "application/json").header("x-api-key", apiKey).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void anIdempotencyKeySentToOneInstanceIsReplayedByAnother() throws Exception {
        String body = "{\"task\":\"enrich_metadata\",\"prompt\":\"charge once\",\"cache\":false}";
        int calls = BACKEND.calls("phi3:mini");
        HttpResponse<String> first = post(POOLS.get(0), body, "Idempotency-Key", "fleet-order-1");
        HttpResponse<String> replay = post(POOLS.get(1), body, "Idempotency-Key", "fleet-order-1");
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(first.body(), replay.body(), "instance 2 replays instance 1's response");
        assertEquals(calls + 1, BACKEND.calls("phi3:mini"), "the model was called once");
    }

    @Test
    @Order(2)
    void anAnswerCachedByOneInstanceIsAHitOnAnother() throws Exception {
        String body = "{\"task\":\"enrich_metadata\",\"prompt\":\"asked on one, answered by all\"}";
        JsonNode first = JSON.readTree(post(POOLS.get(0), body).body());
        JsonNode third = JSON.readTree(post(POOLS.get(2), body).body());
        assertFalse(first.path("from_cache").asBoolean(true), first.toString());
        assertTrue(third.path("from_cache").asBoolean(), "a hit on instance 3: " + third);
        assertEquals(first.path("content"), third.path("content"));
    }

    @Test
    @Order(3)
    void aTenantsLimitHoldsAcrossTheInstances() throws Exception {
        int n = 3 * METERED_PER_MINUTE;
        ExecutorService callers = Executors.newFixedThreadPool(12);
        List<Future<HttpResponse<String>>> sent = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                PoolProcess pool = POOLS.get(i % 3);
                String body = "{\"task\":\"enrich_metadata\",\"prompt\":\"metered " + i + "\",\"cache\":false}";
                sent.add(callers.submit(() -> postAs(METERED_KEY, pool, body)));
            }
            int ok = 0;
            int limited = 0;
            for (Future<HttpResponse<String>> f : sent) {
                HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                if (r.statusCode() == 200) {
                    ok++;
                } else {
                    assertEquals(429, r.statusCode(), r.body());
                    assertTrue(r.headers().firstValue("Retry-After").isPresent(), "429 with Retry-After");
                    limited++;
                }
            }
            assertEquals(METERED_PER_MINUTE, ok, "exactly the tenant's requests a minute, spread over three instances");
            assertEquals(n - METERED_PER_MINUTE, limited);
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    @Order(4)
    void anInstanceStoppedUnderLoadLosesNoRequestAndNoRecord() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger retried = new AtomicInteger();
        ConcurrentLinkedQueue<String> lost = new ConcurrentLinkedQueue<>();
        List<Thread> callers = new ArrayList<>();
        for (int c = 0; c < 12; c++) {
            int caller = c;
            Thread t = new Thread(() -> {
                for (int n = 0; running.get(); n++) {
                    String body = "{\"task\":\"enrich_metadata\",\"prompt\":\"load " + caller + "-" + n + "\",\"cache\":false}";
                    String outcome = callAnyInstance(caller + n, body, retried);
                    if (outcome == null) {
                        answered.incrementAndGet();
                    } else {
                        lost.add(outcome);
                    }
                }
            }, "fleet-caller-" + c);
            t.start();
            callers.add(t);
        }
        // Kafka: records produced at a steady pace from before the SIGTERM until after it, so instance 2 holds some
        int records = 300;
        Thread producer = new Thread(() -> {
            for (int i = 0; i < records; i++) {
                ProducerRecord<String, String> r = new ProducerRecord<>(REQUESTS, "k" + i,
                        "{\"task\":\"enrich_metadata\",\"prompt\":\"record " + i + "\",\"cache\":false}");
                r.headers().add("correlation_id", ("rec-" + i).getBytes(StandardCharsets.UTF_8));
                kafka.sendAll(List.of(r));
                LockSupport.parkNanos(10_000_000);
            }
        }, "fleet-producer");
        producer.start();
        Thread.sleep(1500);
        int beforeStop = answered.get();
        PoolProcess second = POOLS.get(1);
        second.sigterm();
        assertTrue(second.waitFor(Duration.ofSeconds(20)), "instance 2 ended: " + second.logTail());
        Thread.sleep(1000);  // the others carry the load on their own for a while
        running.set(false);
        for (Thread t : callers) {
            t.join(30_000);
        }
        assertEquals(0, second.exitValue(), second.logTail());
        assertTrue(lost.isEmpty(), lost.size() + " requests lost, e.g. " + lost.peek());
        assertTrue(beforeStop > 0 && answered.get() > beforeStop, "load ran before and after: " + beforeStop + ", "
                + answered.get());
        assertEquals(1, second.logLines("event=shutdown_complete status=0").size(), second.logTail());
        producer.join(30_000);
        Map<String, Integer> answers = new HashMap<>();
        try (KafkaConsumer<String, String> reader = kafka.reader(REPLIES)) {
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (answers.size() < records && System.nanoTime() < until) {
                for (ConsumerRecord<String, String> a : reader.poll(Duration.ofMillis(200))) {
                    String status = new String(a.headers().lastHeader("llmpool_status").value(), StandardCharsets.UTF_8);
                    assertEquals("200", status, a.value());
                    answers.merge(new String(a.headers().lastHeader("correlation_id").value(), StandardCharsets.UTF_8),
                            1, Integer::sum);
                }
            }
        }
        assertEquals(records, answers.size(), "every record answered at least once");
        long twice = answers.values().stream().filter(c -> c > 1).count();
        System.out.printf("fleet: %d answered (%d before the SIGTERM), %d sends went to the next instance;"
                + " %d records answered, %d of them more than once%n", answered.get(), beforeStop, retried.get(),
                records, twice);
    }

    /**
     * One request as a load balancer sends it: to instance {@code start % 3}, then to the next one while the
     * connection is refused or closed before an answer. Null when answered with 200, else what went wrong.
     */
    private static String callAnyInstance(int start, String body, AtomicInteger retried) {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            PoolProcess pool = POOLS.get((start + attempt) % 3);
            try {
                HttpResponse<String> r = post(pool, body);
                return r.statusCode() == 200 ? null : "status " + r.statusCode() + ": " + r.body();
            } catch (IOException e) {
                last = e;
                retried.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
        return "no instance answered: " + last;
    }
}
