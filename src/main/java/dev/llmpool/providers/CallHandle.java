package dev.llmpool.providers;

import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;

/**
 * Lets whoever sent a provider call abandon it while it runs: the race once its outcome is decided (a loser's answer
 * would be thrown away), its deadline has passed or its caller has gone. Cancelling gives the call's provider permit
 * back at once (counted neither as a success nor as a failure of the provider) and closes the call's backend
 * connection, which stops the model generating (Ollama, llama.cpp and vLLM stop when the client goes); a reply that
 * still arrives is ignored.
 */
public final class CallHandle {

    /** Exchange property on a branch exchange its sender may cancel. */
    public static final String PROPERTY = "llmpool.callHandle";

    private boolean cancelled;                            // guarded by this
    private final List<Runnable> onCancel = new ArrayList<>(); // guarded by this

    /** The branch's handle, or null when its sender cannot cancel it. */
    public static CallHandle of(Exchange exchange) {
        return exchange.getProperty(PROPERTY, CallHandle.class);
    }

    /** Stops the call now, wherever it is (waiting for its permit, on the wire). Idempotent. */
    public void cancel() {
        List<Runnable> actions;
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            actions = List.copyOf(onCancel);
            onCancel.clear();
        }
        actions.forEach(Runnable::run);
    }

    public synchronized boolean cancelled() {
        return cancelled;
    }

    /**
     * What stops one part of the call (give its permit back, reset its connection), run on {@link #cancel()}: at
     * once if the call was cancelled already.
     */
    public void onCancel(Runnable action) {
        synchronized (this) {
            if (!cancelled) {
                onCancel.add(action);
                return;
            }
        }
        action.run();
    }

}
