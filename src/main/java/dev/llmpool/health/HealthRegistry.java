package dev.llmpool.health;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What is known about each provider without asking it: the last background check, its circuit breaker's state
 * and the last failure of a real call. Never blocks a request.
 */
public class HealthRegistry {

    public static final String CLOSED = "CLOSED";

    private final Map<String, ProviderHealth> byProvider = new ConcurrentHashMap<>();
    private final Map<String, ProviderHealth> byReplica = new ConcurrentHashMap<>();
    private final Map<String, String> circuits = new ConcurrentHashMap<>();
    private final Map<String, String> callErrors = new ConcurrentHashMap<>();
    private final Map<String, Boolean> lastCallFailed = new ConcurrentHashMap<>();

    public void record(String provider, ProviderHealth health) {
        byProvider.put(provider, health);
    }

    /** One replica's last check (a provider with several base URLs); the provider's own record is the best of them. */
    public void recordReplica(String provider, String url, ProviderHealth health) {
        byReplica.put(provider + " " + url, health);
    }

    public ProviderHealth replica(String provider, String url) {
        return byReplica.getOrDefault(provider + " " + url, ProviderHealth.UNKNOWN);
    }

    public ProviderHealth get(String provider) {
        return byProvider.getOrDefault(provider, ProviderHealth.UNKNOWN);
    }

    /** The provider's circuit breaker changed state (CLOSED, OPEN, HALF_OPEN, ...). */
    public void recordCircuit(String provider, String state) {
        circuits.put(provider, state);
    }

    /** CLOSED until its breaker says otherwise. */
    public String circuit(String provider) {
        return circuits.getOrDefault(provider, CLOSED);
    }

    /** A real call to the provider failed, for the reason given (what the breaker counted). */
    public void recordCallError(String provider, String reason) {
        callErrors.put(provider, reason);
        lastCallFailed.put(provider, true);
    }

    /** A real call to the provider got its answer. */
    public void recordCallSuccess(String provider) {
        lastCallFailed.put(provider, false);
    }

    /** Whether the provider's last finished call failed (false if none has finished). */
    public boolean lastCallFailed(String provider) {
        return lastCallFailed.getOrDefault(provider, false);
    }

    /** The reason of the provider's last failed call, or null if none failed. */
    public String lastCallError(String provider) {
        return callErrors.get(provider);
    }

    /**
     * Why the provider is to be left out of a request, or null if it may be called: its last check failed, or
     * its breaker is open (it lets probes through again by itself, as HALF_OPEN, after its wait).
     */
    public String downReason(String provider) {
        ProviderHealth h = get(provider);
        if (h.status() == ProviderHealth.Status.DOWN) {
            return "health check failed: " + h.lastError();
        }
        return isOpen(circuit(provider)) ? "circuit breaker open" : null;
    }

    static boolean isOpen(String circuit) {
        return circuit.equals("OPEN") || circuit.equals("FORCED_OPEN");
    }
}
