package dev.llmpool.providers;

/** The request's deadline passed before a backend call could start; not the backend's fault. */
public class DeadlineExceededException extends RuntimeException {
    public DeadlineExceededException(String message) {
        super(message, null, false, false);
    }
}
