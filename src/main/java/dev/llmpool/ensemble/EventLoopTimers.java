package dev.llmpool.ensemble;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Context;
import io.vertx.core.impl.ContextInternal;

/**
 * The timers of a fan-out (its deadline and hedges) and its hand-overs, kept on the Vert.x event loop that runs the
 * request when there is one, and on this pool's own threads otherwise (gRPC calls, JUDGE's branches, tests).
 *
 * <p>Why: a scheduled thread pool wakes one of its threads whenever a task becomes the earliest, which is every
 * request when few are in flight: a futex wake in the request path and a thread to run (about 13 µs of CPU a
 * request at concurrency 1, docs/performance.md). The event loop keeps its timers in its own queue and wakes for
 * nothing. The task still runs as a Vert.x task of the request's context, as a Vert.x timer would.
 */
public final class EventLoopTimers extends ScheduledThreadPoolExecutor {

    public EventLoopTimers(int threads, ThreadFactory threadFactory) {
        super(threads, threadFactory);
        setRemoveOnCancelPolicy(true);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        ContextInternal loop = currentEventLoop();
        if (loop == null) {
            return super.schedule(task, delay, unit);
        }
        // Netty's scheduled future is a java.util.concurrent one; cancel works from any thread
        return loop.nettyEventLoop().schedule(() -> loop.dispatch(task), delay, unit);
    }

    /** Runs the task after the current one, on the same event loop when called from one. */
    @Override
    public void execute(Runnable task) {
        ContextInternal loop = currentEventLoop();
        if (loop == null) {
            super.execute(task);
        } else {
            loop.runOnContext(v -> task.run());
        }
    }

    private static ContextInternal currentEventLoop() {
        if (!Context.isOnEventLoopThread()) {
            return null;
        }
        ContextInternal current = ContextInternal.current();
        return current != null && current.isEventLoopContext() ? current : null;
    }
}
