package dev.llmpool.metrics;

import org.apache.camel.Exchange;

/**
 * How long one request waited on its backends: the time during which at least one of its backend calls was in
 * flight (overlapping calls count once). The ensemble marks each call's start and end and leaves the total on the
 * exchange when it finishes ({@link #PROPERTY}); the request's overhead is its duration minus that.
 * Thread-safe: calls end on whatever thread their answer arrives.
 */
public final class BackendWait {

    /** Exchange property (Long, nanoseconds): the total, set by the ensemble when it finishes. */
    public static final String PROPERTY = "llmpool.backendWaitNanos";

    private int inFlight;
    private long since;
    private long total;

    public synchronized void started() {
        if (inFlight++ == 0) {
            since = System.nanoTime();
        }
    }

    /** A call ended (answered, failed or was cancelled); a call never marked started is ignored. */
    public synchronized void ended() {
        if (inFlight > 0 && --inFlight == 0) {
            total += System.nanoTime() - since;
        }
    }

    /** The waits so far, including the calls still in flight up to now. */
    public synchronized long nanos() {
        return total + (inFlight > 0 ? System.nanoTime() - since : 0);
    }

    /** Leaves the total on the request's exchange (the ensemble's last step). */
    public void recordOn(Exchange exchange) {
        exchange.setProperty(PROPERTY, nanos());
    }
}
