package dev.llmpool.cache;

import java.util.function.Function;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.Exchange;

import dev.llmpool.api.InferRequest;
import dev.llmpool.api.OutcomeJson;
import dev.llmpool.api.RequestContextProcessor;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.TaskConfig;
import dev.llmpool.metrics.RequestMetrics;

/**
 * Answers an exact repeat of an HTTP request that the response cache answered, before any route runs: the same
 * body, byte for byte, with the same Content-Type, no Idempotency-Key and no Cache-Control, under the same
 * configuration snapshot. For such a request every step of routes/infer.camel.yaml up to cache-lookup comes out the
 * same (validation passes, the cache key is the same), so the HTTP consumer asks here first and a repeat costs a hash
 * of its body and two map reads instead of a trip through the route (docs/performance.md: a one-step Camel route
 * alone costs more than the whole fast backend).
 *
 * <p>No answer is kept here: each repeat reads the response cache's own entry again, so expiry, eviction and a
 * refresh ({@code "cache": false}) apply exactly as on the route, and the answer carries its own request id and
 * {@code "from_cache": true}. Only with the in-memory store, whose reads complete at once. Steps added to the infer
 * route before cache-lookup do not run for these repeats: set {@code pool.cache.exact-repeats=false} when they must.
 *
 * <p>With auth on ({@code pool.auth.enabled}) no request is remembered, so none is answered here: every request goes
 * through authentication and gets its own tenant's cache. Turning auth on is a configuration reload, which makes a new
 * snapshot, and requests remembered under the old one are never answered again.
 */
public final class ExactRepeats {


    /** An HTTP request's body and Content-Type, as received. */
    public record Raw(Buffer body, String contentType) {
    }

    /** The answer to a repeat: its 200 body and request id. */
    public record Reply(String requestId, String body) {
    }

    /** What a remembered request was answered with: the store key, and the meter its repeats are counted with. */
    private record Seen(String contentType, String storeKey, PoolConfig config, String task, String strategy,
                        Timer served) {
    }

    private final String path;
    private final Cache<Buffer, Seen> seen;
    private final Function<String, OutcomeJson> cached;
    private final ConfigStore configs;
    private final RequestMetrics requests;
    private final Counter hits;
    private final int maxBodyBytes;

    /**
     * @param path the HTTP path whose requests run routes/infer.camel.yaml
     * @param cached the response cache's rendered answer under a store key, or null (ResponseCache#cachedNow)
     * @param maxEntries how many distinct request bodies to remember
     * @param maxBodyBytes longer bodies are never remembered (they go through the route)
     */
    public ExactRepeats(String path, Function<String, OutcomeJson> cached, ConfigStore configs, RequestMetrics requests,
                        CacheMetrics metrics, long maxEntries, int maxBodyBytes) {
        this.path = path;
        this.seen = Caffeine.newBuilder().executor(Runnable::run).maximumSize(maxEntries).build();
        this.cached = cached;
        this.configs = configs;
        this.requests = requests;
        this.hits = metrics.counter("hit");
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Longer request bodies are never remembered, so never repeats. */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /** Whether requests to this HTTP path can be repeats. */
    public boolean serves(String httpPath) {
        return path.equals(httpPath);
    }

    /** The answer to this request if it repeats one answered from the cache, else null (the route serves it). */
    public Reply answer(Buffer body, String contentType, String givenRequestId, long startedNanos) {
        Seen s = seen.getIfPresent(body);
        if (s == null || s.config() != configs.current() || !s.contentType().equals(contentType)) {
            return null;
        }
        OutcomeJson json = cached.apply(s.storeKey());
        if (json == null) {
            return null;  // expired, evicted or refreshed away: the route looks again and remembers anew
        }
        String requestId = RequestContextProcessor.requestId(givenRequestId);
        long nanos = System.nanoTime() - startedNanos;
        hits.increment();
        requests.repeatServed(s.task(), s.strategy(), s.served(), requestId, nanos);
        return new Reply(requestId, json.body(requestId, s.task(), nanos / 1_000_000, true));
    }

    /** Called when the route answered this exchange from the cache key, or stored its fresh answer under it. */
    void remember(Exchange exchange, String key) {
        RequestState state = RequestState.of(exchange);
        Raw raw = state.raw();
        if (raw == null || raw.contentType() == null || raw.body().length() > maxBodyBytes
                || state.idempotencyKey() != null
                || state.cacheControl() != null
                || state.principal() != null) {
            return;  // with auth on, nothing: a repeat answered here would skip authentication and ignore the tenant
        }
        InferRequest req = state.request();
        PoolConfig config = state.config();
        TaskConfig task = config.task(req.task());
        String strategy = req.strategy() != null ? req.strategy().name() : task.strategy().name();
        // A copy: the request's buffer belongs to the connection
        seen.put(raw.body().copy(), new Seen(raw.contentType(), ResponseCache.storeKey(key), config, req.task(),
                strategy, requests.timer("infer", req.task(), strategy, 200)));
    }
}
