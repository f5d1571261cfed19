package dev.llmpool.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import dev.llmpool.Application;
import dev.llmpool.fixture.RedisServer;
import dev.llmpool.startup.FreePorts;

/**
 * pool.cache.backend=redis against a real redis-server on loopback: two pool instances (as behind a load
 * balancer) share answers and Idempotency-Keys, and Redis going away mid-run costs the cache, not the requests.
 */
class RedisSharedStateTest extends CacheTestSupport {

    private static final RedisServer REDIS = RedisServer.start();

    private Properties overrides;
    private Main second;
    private int secondPort;

    @AfterAll
    static void stopRedis() {
        REDIS.close();
    }

    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\n";
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.cache.backend", "redis");
        p.put("pool.redis.url", REDIS.url());
        p.put("pool.redis.retry-ms", "200");
        // The shipped 250 ms per Redis operation: on a loaded machine one can take longer, and the request then goes
        // on without the shared store (no hit, no shared key) as designed. A killed Redis fails at once all the same.
        p.put("pool.redis.timeout-ms", "5000");
        p.put("pool.cache.ttl-seconds", "600");
        p.put("pool.idempotency.ttl-seconds", "3600");
        overrides = p;
        return p;
    }

    @BeforeEach
    void emptyRedis() {
        try (Jedis redis = jedis()) {
            redis.flushAll();
        }
    }

    @AfterEach
    void stopSecondInstance() {
        if (second != null) {
            second.stop();
        }
    }

    @Test
    void twoInstancesShareCachedAnswers() throws Exception {
        startSecondInstance();
        JsonNode first = json(infer(body("shared question")));
        JsonNode fromOther = json(send(request(secondPort, body("shared question"))));
        assertFalse(first.path("from_cache").asBoolean(true));
        assertTrue(fromOther.path("from_cache").asBoolean(), "the other instance answers from the shared cache");
        assertEquals(first.path("content"), fromOther.path("content"));
        assertEquals(first.path("usage"), fromOther.path("usage"));
        assertEquals(1, A.calls("phi3:mini"));
    }

    @Test
    void twoInstancesShareIdempotencyKeys() throws Exception {
        startSecondInstance();
        String body = "{\"task\":\"enrich_metadata\",\"prompt\":\"pay once\",\"cache\":false}";
        HttpResponse<String> first = send(request(secondPort, body, "Idempotency-Key", "order-9"));
        HttpResponse<String> replay = infer(body, "Idempotency-Key", "order-9");
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(first.body(), replay.body(), "the other instance replays the same response");
        HttpResponse<String> reused = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"pay twice\"}",
                "Idempotency-Key", "order-9");
        assertEquals(409, reused.statusCode(), reused.body());
        assertEquals(1, A.calls("phi3:mini"));
    }

    @Test
    void aRepeatOnAnotherInstanceWaitsForTheFirst() throws Exception {
        startSecondInstance();
        String body = "{\"task\":\"enrich_metadata\",\"prompt\":\"slow order\",\"cache\":false}";
        CountDownLatch release = holdAnswers(A, "phi3:mini", "slow answer");
        CompletableFuture<HttpResponse<String>> first;
        CompletableFuture<HttpResponse<String>> repeat;
        try {
            first = inferAsync(body, "Idempotency-Key", "order-10");
            assertTrue(eventually(Duration.ofSeconds(10), () -> A.inFlight("phi3:mini") == 1));
            repeat = HTTP.sendAsync(request(secondPort, body, "Idempotency-Key", "order-10"),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(eventually(Duration.ofSeconds(10), () -> secondCount("llmpool.idempotency.events", "waited") == 1),
                    "the repeat waits on the other instance for the first");
            assertFalse(repeat.isDone());
        } finally {
            release.countDown();
        }
        assertEquals(200, first.join().statusCode());
        assertEquals(first.join().body(), repeat.join().body());
        assertEquals(1, A.calls("phi3:mini"));
    }

    @Test
    void entriesCarryTheConfiguredTimeToLive() {
        infer(body("ttl question"), "Idempotency-Key", "order-11");
        try (Jedis redis = jedis()) {
            Set<String> cached = redis.keys("llmpool:cache:*");
            assertEquals(1, cached.size(), cached.toString());
            long cacheTtl = redis.pttl(cached.iterator().next());
            assertTrue(cacheTtl > 590_000 && cacheTtl <= 600_000, "pool.cache.ttl-seconds=600, PTTL " + cacheTtl);
            long keyTtl = redis.pttl("llmpool:idem:default/order-11");
            assertTrue(keyTtl > 3_590_000 && keyTtl <= 3_600_000, "pool.idempotency.ttl-seconds=3600, PTTL " + keyTtl);
        }
    }

    @Test
    void redisKilledMidRunCostsTheCacheNotTheRequestsAndTheCacheComesBack() {
        try {
            assertEquals(200, infer(body("before the crash")).statusCode());
            assertTrue(json(infer(body("before the crash"))).path("from_cache").asBoolean());

            REDIS.kill();
            HttpResponse<String> during = infer(body("before the crash"));
            assertEquals(200, during.statusCode(), during.body());
            assertFalse(json(during).path("from_cache").asBoolean(true), "no cache while Redis is down");
            HttpResponse<String> keyed = infer(body("during the crash"), "Idempotency-Key", "order-12");
            assertEquals(200, keyed.statusCode(), keyed.body());
            assertTrue(count("llmpool.cache.errors", "store", "redis") > 0, "the failures are counted");

            REDIS.restart();
            assertTrue(eventually(Duration.ofSeconds(15), () -> {
                infer(body("after the restart"));
                return json(infer(body("after the restart"))).path("from_cache").asBoolean();
            }), "answers are cached again once Redis is back");
        } finally {
            REDIS.restart();
        }
    }

    private double secondCount(String name, String event) {
        Counter c = second.getCamelContext().getRegistry().findSingleByType(MeterRegistry.class)
                .find(name).tag("event", event).counter();
        return c == null ? 0 : c.count();
    }

    private static Jedis jedis() {
        return new Jedis("127.0.0.1", REDIS.port());
    }

    /** A second pool on the same configuration and Redis, in this JVM, on its own port. */
    private void startSecondInstance() throws Exception {
        secondPort = freePort();
        Main main = new Main(Application.class);
        main.configure().withBasePackageScan(Application.class.getPackageName());
        main.setPropertyPlaceholderLocations("classpath:application.properties");
        overrides.forEach((k, v) -> main.addOverrideProperty(k.toString(), v.toString()));
        main.addOverrideProperty("pool.http.port", String.valueOf(secondPort));
        main.addOverrideProperty("pool.grpc.port", String.valueOf(freePort()));
        main.addOverrideProperty("camel.main.routesReloadEnabled", "false");
        main.start();
        second = main;
        assertTrue(eventually(Duration.ofSeconds(15), () -> {
            try {
                HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + secondPort + "/health"))
                        .timeout(Duration.ofSeconds(5)).GET().build());
                return r.statusCode() == 200 && !r.body().contains("UNKNOWN");
            } catch (RuntimeException notYet) {
                return false;
            }
        }), "the second instance is up");
    }

    private static int freePort() throws IOException {
        return FreePorts.next();  // not from the ephemeral range: see FreePorts
    }
}
