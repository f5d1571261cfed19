package dev.llmpool.cache;

import java.time.Duration;

/**
 * Strings by key, each with its own time to live: what the response cache and the idempotency keys keep.
 * {@link LocalStore} keeps them in this process; {@link RedisStore} shares them between instances.
 * An operation that cannot reach the store throws {@link Unavailable}; callers then carry on without it.
 */
public interface Store {

    /** The value, or null when absent or expired. */
    String get(String key);

    void put(String key, String value, Duration ttl);

    /** Stores the value only if the key is absent; true if it was stored. */
    boolean putIfAbsent(String key, String value, Duration ttl);

    void delete(String key);

    /** The store cannot be reached just now; the request goes on without it. */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }
}
