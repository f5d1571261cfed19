package dev.llmpool.providers;

/** A provider call its sender abandoned (see {@link CallHandle}): not the provider's failure. */
public class CancelledCallException extends RuntimeException {

    public CancelledCallException() {
        super("call cancelled: its answer is no longer needed", null, false, false);
    }
}
