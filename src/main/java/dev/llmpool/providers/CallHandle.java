package dev.llmpool.providers;

import org.apache.camel.Exchange;

/**
 * Lets whoever sent a provider call abandon it while it runs: the fan-out once the outcome is decided (a loser's
 * answer would be thrown away) or its caller has gone. Cancelling resets the call's connection, which stops the
 * model generating (Ollama and OpenAI-compatible servers stop when the client goes), and frees the provider's
 * bulkhead slot; a cancelled call counts neither as a success nor as a failure of the provider.
 */
public final class CallHandle {

    /** Exchange property on a branch exchange that may be cancelled. */
    public static final String PROPERTY = "llmpool.callHandle";

    private volatile boolean cancelled;
    private volatile Runnable abort;

    /** The branch's handle, or null when its sender cannot cancel it. */
    public static CallHandle of(Exchange exchange) {
        return exchange.getProperty(PROPERTY, CallHandle.class);
    }

    public void cancel() {
        cancelled = true;
        Runnable a = abort;
        if (a != null) {
            a.run();
        }
    }

    public boolean cancelled() {
        return cancelled;
    }

    /** Called once the call is on the wire, with what resets it; runs it at once if already cancelled. */
    void onWire(Runnable reset) {
        abort = reset;
        if (cancelled) {
            reset.run();
        }
    }
}
