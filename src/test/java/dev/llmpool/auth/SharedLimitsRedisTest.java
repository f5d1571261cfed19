package dev.llmpool.auth;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.llmpool.fixture.RedisServer;
import dev.llmpool.fixture.SecondInstance;

/**
 * With {@code pool.cache.backend=redis} a tenant's limit is one limit for every instance: 200 concurrent requests
 * spread over two instances sharing a real redis-server, for a tenant allowed 50 a minute, get exactly 50 answers.
 */
class SharedLimitsRedisTest extends AccessTestSupport {

    private static final RedisServer REDIS = RedisServer.start();

    private Properties overrides;

    @AfterAll
    static void stopRedis() {
        REDIS.close();
    }

    @Override
    protected String accessConfig() {
        return "pool.tenants.gamma.api-key-sha256=" + ApiKeys.sha256Hex(TenantLimitsTest.GAMMA_KEY)
                + "\npool.tenants.gamma.requests-per-minute=50\npool.providers.phi3.max-concurrency=200\n";
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.cache.backend", "redis");
        p.put("pool.redis.url", REDIS.url());
        p.put("pool.redis.timeout-ms", "5000");  // a loaded machine: Redis must not be given up on (that limits per instance)
        overrides = p;
        return p;
    }

    @Test
    void twoInstancesEnforceOneLimit() throws Exception {
        try (SecondInstance second = SecondInstance.start(overrides, HttpRequest.newBuilder()
                .header("Authorization", bearer(ALPHA_KEY)))) {
            List<CompletableFuture<List<HttpResponse<String>>>> halves = new ArrayList<>();
            for (int p : new int[] {port, second.port()}) {
                halves.add(CompletableFuture.supplyAsync(() -> TenantLimitsTest.concurrently(100, p, TenantLimitsTest.GAMMA_KEY)));
            }
            List<HttpResponse<String>> all = new ArrayList<>();
            halves.forEach(h -> all.addAll(h.join()));
            TenantLimitsTest.assertExactly(50, all);
        }
    }
}
