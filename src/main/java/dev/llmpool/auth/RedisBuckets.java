package dev.llmpool.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.jedis.Bucket4jJedis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;

import dev.llmpool.cache.RedisStore;
import dev.llmpool.cache.Store;

/**
 * Buckets in Redis ({@code pool.cache.backend=redis}), so every instance draws from one limit: Bucket4j's
 * compare-and-swap proxy keeps each bucket's state under {@code llmpool:rl:<name>}, updated atomically. The calls run
 * on the Redis store's threads (a request waiting for Redis holds none). While Redis is unavailable, each instance
 * limits by itself ({@link LocalBuckets}): requests go on, limited per instance rather than not at all.
 */
final class RedisBuckets implements Buckets {

    private static final Logger LOG = LoggerFactory.getLogger(RedisBuckets.class);

    private final RedisStore redis;
    private final Buckets fallback = new LocalBuckets();
    private volatile ProxyManager<byte[]> proxies;

    RedisBuckets(RedisStore redis) {
        this.redis = redis;
    }

    @Override
    public CompletableFuture<ConsumptionProbe> tryConsume(String name, BucketConfiguration limits, long tokens) {
        return redis.call(jedis -> proxies(jedis).getProxy(key(name), () -> limits).tryConsumeAndReturnRemaining(tokens))
                .exceptionallyCompose(e -> unavailable(e, () -> fallback.tryConsume(name, limits, tokens)));
    }

    @Override
    public CompletableFuture<EstimationProbe> estimate(String name, BucketConfiguration limits) {
        return redis.call(jedis -> proxies(jedis).getProxy(key(name), () -> limits).estimateAbilityToConsume(1))
                .exceptionallyCompose(e -> unavailable(e, () -> fallback.estimate(name, limits)));
    }

    @Override
    public void charge(String name, BucketConfiguration limits, long tokens) {
        redis.call(jedis -> proxies(jedis).getProxy(key(name), () -> limits).consumeIgnoringRateLimits(tokens))
                .exceptionally(e -> {
                    unavailable(e, () -> {
                        fallback.charge(name, limits, tokens);
                        return CompletableFuture.completedFuture(null);
                    });
                    return null;
                });
    }

    private static <T> CompletableFuture<T> unavailable(Throwable e, java.util.function.Supplier<CompletableFuture<T>> local) {
        Throwable cause = Store.cause(e);
        if (!(cause instanceof Store.Unavailable)) {
            LOG.warn("event=rate_limit_store_failed reason=\"{}\" effect=\"limited by this instance alone\"", cause.getMessage());
        }
        return local.get();
    }

    private ProxyManager<byte[]> proxies(JedisPooled jedis) {
        ProxyManager<byte[]> p = proxies;
        if (p == null) {
            // a bucket untouched for as long as it takes to refill (plus a minute) is full again: Redis forgets it
            p = Bucket4jJedis.casBasedBuilder(jedis)
                    .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofMinutes(1)))
                    .build();
            proxies = p;
        }
        return p;
    }

    private static byte[] key(String name) {
        return ("llmpool:rl:" + name).getBytes(StandardCharsets.UTF_8);
    }
}
