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
 * operation completes at once. An entry keeps its decoded value (once read, or as it was stored), so a cache hit
 * decodes nothing and storing an answer encodes nothing.
 */
public final class LocalStore implements Store {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private static final CompletableFuture<String> ABSENT = CompletableFuture.completedFuture(null);

    /** A value as a string, or as an object (then encoded only when read as a string), or both. */
    private static final class Entry {
        final Duration ttl;
        /** Set by the first read that needs it (a benign race: encoding and decoding are pure). */
        volatile String value;
        volatile Object decoded;
        final Function<Object, String> encode;

        Entry(String value, Object decoded, Function<Object, String> encode, Duration ttl) {
            this.value = value;
            this.decoded = decoded;
            this.encode = encode;
            this.ttl = ttl;
        }

        String value() {
            String v = value;
            if (v == null) {
                v = encode.apply(decoded);
                value = v;
            }
            return v;
        }
    }

    private final Cache<String, Entry> cache;

    public LocalStore(long maxEntries, Ticker ticker) {
        this.cache = Caffeine.newBuilder()
                .executor(Runnable::run)  // upkeep on the caller (an event loop): no pool thread woken per write
                .maximumSize(maxEntries)
                .ticker(ticker)
                .expireAfter(Expiry.writing((String key, Entry e) -> e.ttl))
                .build();
    }

    @Override
    public CompletableFuture<String> get(String key) {
        Entry e = cache.getIfPresent(key);
        if (e == null) {
            return ABSENT;
        }
        try {
            return CompletableFuture.completedFuture(e.value());
        } catch (RuntimeException failure) {
            return CompletableFuture.failedFuture(failure);
        }
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
                decoded = decode.apply(e.value());
            } catch (RuntimeException failure) {
                return CompletableFuture.failedFuture(failure);
            }
            e.decoded = decoded;
        }
        return CompletableFuture.completedFuture((T) decoded);
    }

    @Override
    public CompletableFuture<Void> put(String key, String value, Duration ttl) {
        cache.put(key, new Entry(value, null, null, ttl));
        return DONE;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<Void> put(String key, T value, Function<T, String> encode, Duration ttl) {
        cache.put(key, new Entry(null, value, (Function<Object, String>) encode, ttl));
        return DONE;
    }

    @Override
    public CompletableFuture<Boolean> putIfAbsent(String key, String value, Duration ttl) {
        return CompletableFuture.completedFuture(cache.asMap().putIfAbsent(key, new Entry(value, null, null, ttl)) == null);
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        cache.invalidate(key);
        return DONE;
    }
}
