package dev.llmpool.api;

/**
 * The caller's end of one request, whatever the protocol: says when the caller has gone (the HTTP connection
 * closed, the gRPC call cancelled or past its deadline) so that the work for it stops (the fan-out cancels its
 * calls). Made when the request arrives; copies of the exchange (enrich) share it.
 */
public final class CallerLink {

    /** Exchange property holding the request's link. */
    public static final String PROPERTY = "llmpool.callerLink";

    private boolean gone;
    private Runnable onGone;

    /** {@code action} runs once when the caller goes: at once if it has already gone. */
    public void onGone(Runnable action) {
        synchronized (this) {
            if (!gone) {
                onGone = action;
                return;
            }
        }
        action.run();
    }

    public void gone() {
        Runnable action;
        synchronized (this) {
            if (gone) {
                return;
            }
            gone = true;
            action = onGone;
            onGone = null;
        }
        if (action != null) {
            action.run();
        }
    }
}
