package dev.llmpool.providers;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

import org.apache.camel.Exchange;

/**
 * Lets whoever sent a provider call end it while it runs. Either way its bulkhead slot is given back at once and its
 * backend connection closes, which stops the model generating (Ollama, llama.cpp and vLLM stop when the client goes);
 * a reply that still arrives is ignored by the sender. The breaker counts what ended the call: a reply that came
 * back anyway as it is; else the sender's reason:
 * <ul>
 * <li>{@link #cancel()}: the answer is merely not needed (the outcome was decided without it, the caller has gone):
 * counted neither way;</li>
 * <li>{@link #timeOut}: the call had not answered when the deadline passed: counted as the provider's timeout, as
 * its own timeout would have when it ran on into its budget, so that a provider that hangs still opens its
 * breaker.</li>
 * </ul>
 */
public final class CallHandle {


    private Exception reason;                                  // guarded by this; null while the call may run
    private final List<Runnable> onEnd = new ArrayList<>(); // guarded by this

    /** The branch's handle, or null when its sender cannot end it. */
    public static CallHandle of(Exchange exchange) {
        return exchange.getProperty(CallProperties.CALL_HANDLE, CallHandle.class);
    }

    /** The answer is not needed any more (decided without it, its caller gone): ends the call, counted neither way. Idempotent. */
    public void cancel() {
        end(new CancelledCallException());
    }

    /** The call ran out of time (the request's deadline passed). Idempotent. */
    public void timeOut(String why) {
        end(new TimeoutException(why));
    }

    private void end(Exception why) {
        List<Runnable> actions;
        synchronized (this) {
            if (reason != null) {
                return;
            }
            reason = why;
            actions = List.copyOf(onEnd);
            onEnd.clear();
        }
        actions.forEach(Runnable::run);
    }

    /** True once the call was cancelled or timed out by its sender. */
    public synchronized boolean cancelled() {
        return reason != null;
    }

    /** True when the call was ended as out of time (a failure of the provider, not a cancel). */
    public synchronized boolean timedOut() {
        return reason instanceof TimeoutException;
    }

    /** True when {@code failure} is this handle's own ending of the call (or caused by it), not the backend's. */
    public boolean endedBy(Throwable failure) {
        Exception why = reason();
        for (Throwable t = failure; why != null && t != null; t = t.getCause()) {
            if (t == why) {
                return true;
            }
        }
        return false;
    }

    /** Why the sender ended the call (the failure its route ends with), or null. */
    public synchronized Exception reason() {
        return reason;
    }

    /**
     * What stops one part of the call (give its permit back, reset its connection), run when the sender ends it: at
     * once if it has already.
     */
    public void onEnd(Runnable action) {
        synchronized (this) {
            if (reason == null) {
                onEnd.add(action);
                return;
            }
        }
        action.run();
    }
}
