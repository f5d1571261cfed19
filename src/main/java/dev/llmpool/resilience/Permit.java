package dev.llmpool.resilience;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A call's hold on one replica's guards (a bulkhead slot and a breaker permission), or a refusal. Given back exactly
 * once: succeeded, failed or released (cancelled: counts neither way). The bulkhead slot may go back earlier
 * ({@link #freeSlot()}), when the call's sender has ended it and its outcome is still to come. A slot given back goes
 * to the provider's next waiter (AdmissionQueue).
 */
public final class Permit {
    private final Runnable slotGivenBack;
    private final Replica replica;
    private final RuntimeException refusal;
    private final long startedNanos = System.nanoTime();
    private final AtomicBoolean returned = new AtomicBoolean();
    private final AtomicBoolean slotFreed = new AtomicBoolean();

    /** @param slotGivenBack run each time a slot of the provider goes back (hands it to a waiter) */
    Permit(Replica replica, Runnable slotGivenBack) {
        this(replica, slotGivenBack, null);
    }

    private Permit(Replica replica, Runnable slotGivenBack, RuntimeException refusal) {
        this.slotGivenBack = slotGivenBack;
        this.replica = replica;
        this.refusal = refusal;
        if (refusal != null) {
            returned.set(true);
            slotFreed.set(true);
        }
    }

    /** A permit that holds nothing: the call may not be made, for this reason (null for an unknown provider). */
    static Permit refused(RuntimeException refusal) {
        return new Permit(null, null, refusal);
    }

    /** Why the call may not be made (a BulkheadFullException or CallNotPermittedException), or null. */
    public RuntimeException refusal() {
        return refusal;
    }

    /** The base URL the call goes to, or null when refused (or for a provider the guards do not know). */
    public String replicaUrl() {
        return replica == null ? null : replica.url();
    }

    public void succeeded() {
        if (giveBack() && replica != null) {
            long nanos = System.nanoTime() - startedNanos;
            replica.recordLatency(nanos);
            replica.breaker().onSuccess(nanos, TimeUnit.NANOSECONDS);
        }
    }

    public void failed(Throwable cause) {
        if (giveBack() && replica != null) {
            long nanos = System.nanoTime() - startedNanos;
            replica.recordLatency(nanos);
            replica.breaker().onError(nanos, TimeUnit.NANOSECONDS, cause);
        }
    }

    public void release() {
        if (giveBack() && replica != null) {
            replica.breaker().releasePermission();
        }
    }

    /** The bulkhead slot goes back now; the breaker still gets the call's outcome when it ends. */
    public void freeSlot() {
        if (slotFreed.compareAndSet(false, true) && replica != null) {
            replica.bulkhead().onComplete();
            slotGivenBack.run();
        }
    }

    private boolean giveBack() {
        if (!returned.compareAndSet(false, true)) {
            return false;
        }
        freeSlot();
        return true;
    }
}
