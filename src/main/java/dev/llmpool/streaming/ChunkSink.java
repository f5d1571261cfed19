package dev.llmpool.streaming;

/**
 * Where a streaming caller wants content as it is generated. A protocol's entry route puts one on the exchange
 * ({@link dev.llmpool.api.RequestState#chunkSink()}) before entering {@code direct:infer}; the core route then streams FASTEST through
 * it, and every other strategy (or a cached answer) arrives whole in the route's answer as usual.
 */
public interface ChunkSink {

    /** The next piece of the answer, in order. Never blocks. */
    void chunk(String content);

    /**
     * Runs {@code action} once the caller has gone (cancelled, disconnected); at once if it has. A caller's deadline
     * that passes is the request's deadline, which the race keeps itself.
     */
    void onCancel(Runnable action);
}
