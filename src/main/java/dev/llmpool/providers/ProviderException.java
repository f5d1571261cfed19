package dev.llmpool.providers;

/** A backend answered, but not usefully: an error status, an error body, or something that is not its API. */
public class ProviderException extends RuntimeException {

    private final int status;

    public ProviderException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    /** The backend's HTTP status, or 0 when the body (not the status) was wrong. */
    public int status() {
        return status;
    }
}
