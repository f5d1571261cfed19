package dev.llmpool.health;

/** The last health check of one provider. */
public record ProviderHealth(Status status, long latencyMs, String lastError, long checkedAtMillis) {

    public enum Status { UNKNOWN, UP, DOWN }

    public static final ProviderHealth UNKNOWN = new ProviderHealth(Status.UNKNOWN, -1, null, 0);
}
