package dev.llmpool.cache;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Strings by key, each with its own time to live: what the response cache and the idempotency keys keep.
 * {@link LocalStore} keeps them in this process; {@link RedisStore} shares them between instances.
 *
 * <p>Asynchronous, so that a request waiting for the store holds no thread: the request path runs on the HTTP
 * event loop, which must never block. {@link LocalStore} answers with futures already complete (the caller goes
 * on at once, on its own thread); {@link RedisStore} runs each call on a small pool of its own and completes the
 * future from there. An operation that cannot reach the store completes exceptionally with {@link Unavailable};
 * callers then carry on without it.
 */
public interface Store {

    /** The value, or null when absent or expired. */
    CompletableFuture<String> get(String key);

    /**
     * The value decoded, or null. A store in this process keeps the decoded value beside the string and hands the
     * same object out again (so it must be immutable); others decode on every read. One key is always read with
     * the same decoder.
     */
    default <T> CompletableFuture<T> get(String key, Function<String, T> decode) {
        return get(key).thenApply(value -> value == null ? null : decode.apply(value));
    }

    CompletableFuture<Void> put(String key, String value, Duration ttl);

    /**
     * Stores a value given as an (immutable) object: a store in this process keeps the object itself, to be handed
     * out by {@link #get(String, Function)}, and encodes it only if it is ever read as a string; others encode it
     * now.
     */
    default <T> CompletableFuture<Void> put(String key, T value, Function<T, String> encode, Duration ttl) {
        String encoded;
        try {
            encoded = encode.apply(value);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return put(key, encoded, ttl);
    }

    /** Stores the value only if the key is absent; true if it was stored. */
    CompletableFuture<Boolean> putIfAbsent(String key, String value, Duration ttl);

    CompletableFuture<Void> delete(String key);

    /** The store cannot be reached just now; the request goes on without it. */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** The cause of a failed future, without CompletionException's wrapping. */
    static Throwable cause(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
