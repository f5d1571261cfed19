package dev.llmpool.api;

/**
 * The caller's end of one request, whatever the door: says when the caller has gone (its HTTP connection closed)
 * so that the work for it stops (the race cancels its backend calls). Made when the request arrives; copies of
 * the exchange (enrich) share it.
 */
public final class CallerLink {


    private boolean gone;   // guarded by this
    private boolean kept;   // guarded by this
    private Runnable onGone; // guarded by this

    /** {@code action} runs once when the caller goes: at once if it has already gone. Replaces an earlier action. */
    public void onGone(Runnable action) {
        synchronized (this) {
            if (kept) {
                return;
            }
            if (!gone) {
                onGone = action;
                return;
            }
        }
        action.run();
    }

    /**
     * Other callers wait for this request's result (an identical request, a repeated Idempotency-Key): its work goes
     * on even if this caller goes.
     */
    public synchronized void keep() {
        kept = true;
        onGone = null;
    }

    /** Forgets the action: the work it would stop is over. */
    public synchronized void clear() {
        onGone = null;
    }

    public void gone() {
        Runnable action;
        synchronized (this) {
            if (gone || kept) {
                gone = true;
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
