package dev.llmpool.cache;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.PropertyInject;

import dev.llmpool.config.ConfigStore;
import dev.llmpool.lifecycle.DaemonThreads;
import dev.llmpool.metrics.RequestMetrics;

/**
 * Response cache, idempotency keys, coalescing (issue 5; restart to change). Both keep their entries in a Store: this
 * process's memory (Caffeine), or Redis shared by every instance (pool.cache.backend=redis), which then also holds
 * the tenants' rate limits (auth/AccessBeans). Tests may bind a Ticker named "cacheTicker" to move the local clock
 * forward.
 */
public class CacheBeans {

    /** Longer request bodies are never answered as exact repeats (the memory a remembered body takes). */
    private static final int EXACT_REPEAT_MAX_BODY_BYTES = 16 * 1024;

    @PropertyInject(value = "pool.cache.backend", defaultValue = "caffeine")
    private String cacheBackend;
    @PropertyInject(value = "pool.cache.ttl-seconds", defaultValue = "900")
    private long cacheTtlSeconds;
    @PropertyInject(value = "pool.cache.max-entries", defaultValue = "10000")
    private long cacheMaxEntries;
    @PropertyInject(value = "pool.idempotency.ttl-seconds", defaultValue = "86400")
    private long idempotencyTtlSeconds;
    @PropertyInject(value = "pool.idempotency.max-entries", defaultValue = "10000")
    private long idempotencyMaxEntries;
    @PropertyInject(value = "pool.redis.url", defaultValue = "redis://localhost:6379")
    private String redisUrl;
    @PropertyInject(value = "pool.redis.timeout-ms", defaultValue = "250")
    private int redisTimeoutMs;
    @PropertyInject(value = "pool.redis.retry-ms", defaultValue = "1000")
    private long redisRetryMs;
    @PropertyInject(value = "pool.redis.threads", defaultValue = "16")
    private int redisThreads;

    private final ObjectMapper mapper = new ObjectMapper();
    private final CacheKeys cacheKeys = new CacheKeys();
    private Stores stores;

    /** Where responses and idempotency keys are kept (the same Redis store for both with the redis backend). */
    private record Stores(CacheMetrics metrics, Store responses, Store idempotencyKeys, RedisStore redis) {
    }

    /** Made once, by whichever of this class's beans needs them first. */
    private synchronized Stores stores(CamelContext camel, MeterRegistry meters) throws Exception {
        if (stores != null) {
            return stores;
        }
        if (cacheTtlSeconds <= 0 || idempotencyTtlSeconds <= 0) {
            throw new IllegalArgumentException("pool.cache.ttl-seconds and pool.idempotency.ttl-seconds must be > 0");
        }
        CacheMetrics cacheMetrics = new CacheMetrics(meters);
        switch (cacheBackend.trim().toLowerCase(Locale.ROOT)) {
            case "caffeine" -> {
                Ticker ticker = camel.getRegistry().lookupByNameAndType("cacheTicker", Ticker.class);
                stores = new Stores(cacheMetrics,
                        new LocalStore(cacheMaxEntries, ticker != null ? ticker : Ticker.systemTicker()),
                        new LocalStore(idempotencyMaxEntries, ticker != null ? ticker : Ticker.systemTicker()), null);
            }
            case "redis" -> {
                // optional, empty by default (a @PropertyInject default cannot be empty: Camel reads "" as none)
                String redisPassword = camel.getPropertiesComponent().resolveProperty("pool.redis.password").orElse("");
                RedisStore redis = new RedisStore(redisUrl, redisPassword, redisTimeoutMs, redisRetryMs, redisThreads,
                        cacheMetrics);
                camel.addService(redis);  // closed with the context
                stores = new Stores(cacheMetrics, redis, redis, redis);
            }
            default -> throw new IllegalArgumentException("pool.cache.backend must be caffeine or redis, got '"
                    + cacheBackend + "'");
        }
        return stores;
    }

    @BindToRegistry
    public ResponseCache responseCache(CamelContext camel, @BeanInject("metricsRegistry") MeterRegistry meters) throws Exception {
        Stores s = stores(camel, meters);
        return new ResponseCache(s.responses(), cacheKeys, mapper, s.metrics(), Duration.ofSeconds(cacheTtlSeconds));
    }

    @BindToRegistry
    public Processor cacheStore(ResponseCache responseCache) {
        return responseCache.storeStep();
    }

    /**
     * The HTTP front answers exact repeats of cached requests before the route (ExactRepeats says when); the path is
     * routes/http-api.camel.yaml's for direct:infer. Only with the local store, and when on; else none is bound.
     */
    @BindToRegistry
    public ExactRepeats exactRepeats(ResponseCache responseCache, ConfigStore config, RequestMetrics requestMetrics,
                                     CamelContext camel, @BeanInject("metricsRegistry") MeterRegistry meters,
                                     @PropertyInject(value = "pool.cache.exact-repeats", defaultValue = "true") boolean on) throws Exception {
        Stores s = stores(camel, meters);
        if (!on || !(s.responses() instanceof LocalStore)) {
            return null;
        }
        ExactRepeats repeats = new ExactRepeats("/v1/infer", responseCache::cachedNow, config, requestMetrics,
                s.metrics(), cacheMaxEntries, EXACT_REPEAT_MAX_BODY_BYTES);
        responseCache.rememberRepeatsIn(repeats);
        return repeats;
    }

    @BindToRegistry
    public IdempotencyGuard idempotencyGuard(CamelContext camel, @BeanInject("metricsRegistry") MeterRegistry meters,
                                             @PropertyInject(value = "pool.idempotency.wait-ms", defaultValue = "30000")
                                             long idempotencyWaitMs) throws Exception {
        Stores s = stores(camel, meters);
        // A repeat waiting on another instance polls the store: on its own thread, not on the ensemble's timers.
        ScheduledThreadPoolExecutor polls = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("llmpool-idempotency"));
        return new IdempotencyGuard(s.idempotencyKeys(), cacheKeys, mapper, s.metrics(),
                Duration.ofSeconds(idempotencyTtlSeconds), idempotencyWaitMs, polls);
    }

    @BindToRegistry
    public Processor idempotencyRecord(IdempotencyGuard idempotencyGuard) {
        return idempotencyGuard.recordStep();
    }

    /** The shared Redis store with {@code pool.cache.backend=redis}; none is bound with the local store. */
    @BindToRegistry
    public RedisStore redisStore(CamelContext camel, @BeanInject("metricsRegistry") MeterRegistry meters)
            throws Exception {
        return stores(camel, meters).redis();
    }
}
