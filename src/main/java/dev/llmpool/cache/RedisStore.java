package dev.llmpool.cache;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.apache.camel.support.service.ServiceSupport;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * A {@link Store} in Redis, shared by every pool instance that names the same {@code pool.redis.url}. Keys get
 * the prefix {@code llmpool:}. When Redis cannot be reached, operations fail fast with {@link Unavailable}
 * (logged once, counted every time) and Redis is left alone for {@code retryMs}; after that the next operation
 * tries again, so the store comes back by itself when Redis does.
 *
 * <p>Jedis blocks, so every operation runs on this store's own small pool of threads ({@code threads}, one pooled
 * connection each) and completes its future from there: the request that waits for Redis holds no thread.
 */
public final class RedisStore extends ServiceSupport implements Store {

    private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);
    private static final String PREFIX = "llmpool:";

    private final JedisPooled redis;
    private final String where;
    private final long retryNanos;
    private final CacheMetrics metrics;
    private final AtomicBoolean down = new AtomicBoolean();
    private final ThreadPoolExecutor calls;
    private volatile long retryAtNanos;

    /**
     * @param url       {@code redis://[user@]host:port[/db]} ({@code rediss://} for TLS)
     * @param password  Redis AUTH password, or empty; kept out of the URL, which Camel logs at start-up
     * @param timeoutMs connect and read timeout of each operation: a request never waits longer on Redis
     * @param retryMs   how long Redis is left alone after a failure
     * @param threads   how many Redis calls run at once (each on its own thread and connection); more wait in line
     */
    public RedisStore(String url, String password, int timeoutMs, long retryMs, int threads, CacheMetrics metrics) {
        URI uri = URI.create(url.trim());
        if (!JedisURIHelper.isValid(uri)) {
            throw new IllegalArgumentException("pool.redis.url must look like redis://host:6379, got scheme '"
                    + uri.getScheme() + "' host '" + uri.getHost() + "'");
        }
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(threads);  // one connection per calling thread
        pool.setMaxIdle(threads);
        pool.setMaxWait(Duration.ofMillis(timeoutMs));
        String secret = password == null || password.isEmpty() ? JedisURIHelper.getPassword(uri) : password;
        HostAndPort address = JedisURIHelper.getHostAndPort(uri);
        this.redis = new JedisPooled(pool, address, DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeoutMs)
                .socketTimeoutMillis(timeoutMs)
                .user(JedisURIHelper.getUser(uri))
                .password(secret)
                .database(JedisURIHelper.getDBIndex(uri))
                .ssl(JedisURIHelper.isRedisSSLScheme(uri))
                .build());
        this.where = address.toString();  // never the password
        this.retryNanos = retryMs * 1_000_000L;
        this.metrics = metrics;
        AtomicInteger n = new AtomicInteger();
        this.calls = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "llmpool-redis-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        calls.allowCoreThreadTimeOut(true);
    }

    @Override
    public CompletableFuture<String> get(String key) {
        return call(r -> r.get(PREFIX + key));
    }

    @Override
    public CompletableFuture<Void> put(String key, String value, Duration ttl) {
        return call(r -> {
            r.set(PREFIX + key, value, SetParams.setParams().px(ttl.toMillis()));
            return null;
        });
    }

    @Override
    public CompletableFuture<Boolean> putIfAbsent(String key, String value, Duration ttl) {
        return call(r -> "OK".equals(r.set(PREFIX + key, value, SetParams.setParams().nx().px(ttl.toMillis()))));
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        return call(r -> {
            r.del(PREFIX + key);
            return null;
        });
    }

    /**
     * Runs the operation on this store's threads; fails at once, without a thread, while Redis is left alone. Public for
     * the tenants' rate limits (dev.llmpool.auth.RedisBuckets), which share this connection pool and its failure rule.
     */
    public <T> CompletableFuture<T> call(Function<JedisPooled, T> operation) {
        if (down.get() && System.nanoTime() < retryAtNanos) {
            metrics.storeError("redis");
            return CompletableFuture.failedFuture(new Unavailable("redis at " + where + " is unavailable"));
        }
        try {
            return CompletableFuture.supplyAsync(() -> blocking(operation), calls);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            return CompletableFuture.failedFuture(new Unavailable("redis store is stopped"));
        }
    }

    private <T> T blocking(Function<JedisPooled, T> operation) {
        try {
            T result = operation.apply(redis);
            if (down.compareAndSet(true, false)) {
                LOG.info("event=redis_recovered redis={}", where);
            }
            return result;
        } catch (JedisException e) {
            retryAtNanos = System.nanoTime() + retryNanos;
            metrics.storeError("redis");
            if (down.compareAndSet(false, true)) {
                LOG.warn("event=redis_unavailable redis={} reason=\"{}\" retry_ms={} effect=\"requests go on without the"
                        + " shared cache and idempotency store\"", where, e.getMessage(), retryNanos / 1_000_000);
            }
            redis.getPool().clear();  // idle connections to a Redis that went away are dead too
            throw new Unavailable("redis at " + where + " is unavailable: " + e.getMessage());
        }
    }

    @Override
    protected void doStop() {
        calls.shutdown();
        redis.close();
    }
}
