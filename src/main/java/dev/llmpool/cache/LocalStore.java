package dev.llmpool.cache;

import java.time.Duration;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;

/**
 * A {@link Store} in this process's memory: a Caffeine cache bounded in size, each entry expiring after its
 * own time to live as measured by the given {@link Ticker} (tests pass one they can move forward).
 */
public final class LocalStore implements Store {

    private record Entry(String value, Duration ttl) {
    }

    private final Cache<String, Entry> cache;

    public LocalStore(long maxEntries, Ticker ticker) {
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .ticker(ticker)
                .expireAfter(Expiry.writing((String key, Entry e) -> e.ttl()))
                .build();
    }

    @Override
    public String get(String key) {
        Entry e = cache.getIfPresent(key);
        return e == null ? null : e.value();
    }

    @Override
    public void put(String key, String value, Duration ttl) {
        cache.put(key, new Entry(value, ttl));
    }

    @Override
    public boolean putIfAbsent(String key, String value, Duration ttl) {
        return cache.asMap().putIfAbsent(key, new Entry(value, ttl)) == null;
    }

    @Override
    public void delete(String key) {
        cache.invalidate(key);
    }
}
