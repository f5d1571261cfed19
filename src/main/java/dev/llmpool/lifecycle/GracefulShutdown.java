package dev.llmpool.lifecycle;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

import io.vertx.core.Vertx;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's shutdown, in the order a load balancer needs (contract, "Deployment"):
 * <ol>
 *   <li>readiness turns 503 at once ({@link PoolReadiness}), while every request is still served as usual, for
 *       {@code pool.shutdown.grace-ms}: the time load balancers take to notice;</li>
 *   <li>then the HTTP port takes no new connection ({@link ConnectionDrain});</li>
 *   <li>then the Camel context stops: its ShutdownStrategy, given the longest request deadline as its timeout,
 *       lets every exchange in flight finish (HTTP, streams, gRPC calls, queue messages), then stops the routes and
 *       the services (Redis, the backend connections, Vert.x);</li>
 *   <li>then the process exits with 0.</li>
 * </ol>
 * Started by the first SIGTERM (Application); {@link #force()} (a second SIGTERM) ends the process at once, and a
 * watchdog does so if the stop itself outlives its bound.
 */
public class GracefulShutdown {

    private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdown.class);
    /** Room for stopping the services once the requests are done, before the watchdog ends the process. */
    private static final long STOP_MARGIN_MS = 5000;
    /** Exit status of a forced end: the shell's for a process ended by SIGTERM. */
    static final int FORCED_EXIT = 143;

    private final CamelContext camel;
    private final Vertx vertx;
    private final PoolReadiness readiness;
    private final ConnectionDrain drain;
    private final long graceMs;
    private final LongSupplier longestDeadlineMs;
    private final AtomicBoolean begun = new AtomicBoolean();
    private volatile IntConsumer exit;

    /**
     * @param longestDeadlineMs the longest a request may run (pool.limits.max-deadline-ms, read when the shutdown
     *                          begins, as the configuration may have been reloaded)
     */
    public GracefulShutdown(CamelContext camel, Vertx vertx, PoolReadiness readiness, ConnectionDrain drain, long graceMs,
                            LongSupplier longestDeadlineMs) {
        this.camel = camel;
        this.vertx = vertx;
        this.readiness = readiness;
        this.drain = drain;
        this.graceMs = graceMs;
        this.longestDeadlineMs = longestDeadlineMs;
    }

    /**
     * Starts the shutdown on a thread of its own and returns; {@code then} gets the exit status once it is over
     * (System::exit in the service). A second call does nothing: {@link #force()} is for that.
     */
    public void begin(IntConsumer then) {
        if (!begun.compareAndSet(false, true)) {
            return;
        }
        exit = then;
        readiness.shuttingDown(); // before this returns: the next probe already sees it
        Thread t = new Thread(this::run, "llmpool-shutdown");
        t.start(); // not a daemon: the JVM stays until it is done
    }

    public boolean hasBegun() {
        return begun.get();
    }

    /** Ends the process now (a second SIGTERM, or the watchdog). */
    public void force(String why) {
        LOG.warn("event=shutdown_forced reason=\"{}\" inflight={}", why, camel.getInflightRepository().size());
        Runtime.getRuntime().halt(FORCED_EXIT);
    }

    private void run() {
        long deadlineMs = longestDeadlineMs.getAsLong();
        LOG.info("event=shutdown_started grace_ms={} longest_deadline_ms={} inflight={}", graceMs, deadlineMs,
                camel.getInflightRepository().size());
        startWatchdog(graceMs + deadlineMs + STOP_MARGIN_MS);
        try {
            Thread.sleep(graceMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain.stopAccepting(vertx);
        LOG.info("event=shutdown_draining inflight={} open_connections={}", camel.getInflightRepository().size(),
                drain.openConnections());
        // A keep-alive connection can still carry one more request until its answer is out and the drain closes it;
        // stopping Camel first would answer that request from a suspended route (503, empty body). So the routes stop
        // once every connection is closed, or once the longest deadline has passed.
        awaitConnectionsClosed(deadlineMs);
        // Camel's ShutdownStrategy waits for the exchanges in flight, up to this; none outlives its deadline.
        camel.getShutdownStrategy().setTimeUnit(TimeUnit.MILLISECONDS);
        camel.getShutdownStrategy().setTimeout(deadlineMs + 1000);
        int status = 0;
        try {
            camel.stop();
        } catch (RuntimeException e) {
            LOG.error("event=shutdown_error reason=\"{}\"", e.toString());
            status = 1;
        }
        LOG.info("event=shutdown_complete status={}", status);
        exit.accept(status);
    }

    private void awaitConnectionsClosed(long limitMs) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limitMs);
        while (drain.openConnections() > 0 && System.nanoTime() < until) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void startWatchdog(long limitMs) {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(limitMs);
                force("the shutdown took longer than " + limitMs + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "llmpool-shutdown-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }
}
