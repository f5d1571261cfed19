package dev.llmpool.grpc;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.grpc.v1.Chunk;
import dev.llmpool.grpc.v1.InferStreamReply;
import dev.llmpool.streaming.ChunkSink;

/**
 * An InferStream call as a {@link ChunkSink}: each chunk is one message on the call. Cancellation comes from
 * the call's {@link Context}, which gRPC cancels at once when the client cancels, disconnects or its deadline
 * passes (the observer's own cancel handler would wait behind the route, which runs on the call's thread).
 */
final class GrpcChunkSink implements ChunkSink {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcChunkSink.class);

    private final StreamObserver<Object> observer;
    private final Context call;
    private int sent;

    GrpcChunkSink(StreamObserver<Object> observer, Context call) {
        this.observer = observer;
        this.call = call;
    }

    @Override
    public synchronized void chunk(String content) {
        if (call.isCancelled()) {
            return;
        }
        try {
            observer.onNext(InferStreamReply.newBuilder().setChunk(Chunk.newBuilder().setContent(content)).build());
            sent++;
        } catch (RuntimeException e) { // the call closed meanwhile: the cancel listener stops the backend
            LOG.debug("event=grpc_chunk_dropped reason=\"{}\"", e.getMessage());
        }
    }

    /**
     * The client cancelled or disconnected. A call cancelled because its deadline passed is not the caller leaving:
     * the race's own deadline (the same, applied to the request) ends it, and the request counts as a 504, not 499.
     */
    @Override
    public void onCancel(Runnable action) {
        call.addListener(context -> {
            if (!deadlinePassed(context)) {
                action.run();
            }
        }, Runnable::run);
    }

    /**
     * Whether the call ended because its deadline passed. The client's own timer usually gets there first: it resets
     * the stream as a plain cancel, measured on its clock, a moment before the server's copy of the deadline expires;
     * a cancel that close to the deadline is the deadline.
     */
    static boolean deadlinePassed(Context context) {
        if (context.cancellationCause() instanceof java.util.concurrent.TimeoutException) {
            return true;
        }
        io.grpc.Deadline deadline = context.getDeadline();
        return deadline != null && deadline.timeRemaining(java.util.concurrent.TimeUnit.MILLISECONDS) <= CLOCK_SLACK_MS;
    }

    /** How much earlier than ours a client's deadline may fire: the time its grpc-timeout header took to reach us. */
    private static final long CLOCK_SLACK_MS = 50;

    /** Chunks sent so far; 0 means the answer has not been streamed (a strategy that needs whole answers, a cache hit). */
    synchronized int sent() {
        return sent;
    }

    /** The final message goes through here too, so that it can never overtake a chunk. */
    synchronized void send(Object message) {
        observer.onNext(message);
    }
}
