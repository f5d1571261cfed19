package dev.llmpool.cache;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;

/**
 * A {@link Store} in this process's memory: a Caffeine cache bounded in size, each entry expiring after its
 * own time to live as measured by the given {@link Ticker} (tests pass one they can move forward). Every
 * operation completes at once. An entry keeps its decoded value once read, so a cache hit decodes nothing.
 */
public final class LocalStore implements Store {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private static final CompletableFuture<String> ABSENT = CompletableFuture.completedFuture(null);

    private static final class Entry {
        final String value;
        final Duration ttl;
        /** The value decoded, set by the first read that decodes it (a benign race: decoding is pure). */
        volatile Object decoded;

        Entry(String value, Duration ttl) {
            this.value = value;
            this.ttl = ttl;
        }
    }

    private final Cache<String, Entry> cache;

    public LocalStore(long maxEntries, Ticker ticker) {
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .ticker(ticker)
                .expireAfter(Expiry.writing((String key, Entry e) -> e.ttl))
                .build();
    }

    @Override
    public CompletableFuture<String> get(String key) {
        Entry e = cache.getIfPresent(key);
        return e == null ? ABSENT : CompletableFuture.completedFuture(e.value);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> get(String key, Function<String, T> decode) {
        Entry e = cache.getIfPresent(key);
        if (e == null) {
            return (CompletableFuture<T>) ABSENT;
        }
        Object decoded = e.decoded;
        if (decoded == null) {
            try {
                decoded = decode.apply(e.value);
            } catch (RuntimeException failure) {
                return CompletableFuture.failedFuture(failure);
            }
            e.decoded = decoded;
        }
        return CompletableFuture.completedFuture((T) decoded);
    }

    @Override
    public CompletableFuture<Void> put(String key, String value, Duration ttl) {
        cache.put(key, new Entry(value, ttl));
        return DONE;
    }

    @Override
    public CompletableFuture<Boolean> putIfAbsent(String key, String value, Duration ttl) {
        return CompletableFuture.completedFuture(cache.asMap().putIfAbsent(key, new Entry(value, ttl)) == null);
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        cache.invalidate(key);
        return DONE;
    }
}
