package dev.llmpool.health;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** What the background checks last found, per provider. Never blocks a request. */
public class HealthRegistry {

    private final Map<String, ProviderHealth> byProvider = new ConcurrentHashMap<>();

    public void record(String provider, ProviderHealth health) {
        byProvider.put(provider, health);
    }

    public ProviderHealth get(String provider) {
        return byProvider.getOrDefault(provider, ProviderHealth.UNKNOWN);
    }

    /** Why the provider is known to be down, or null if it is up or not checked yet. */
    public String downReason(String provider) {
        ProviderHealth h = get(provider);
        return h.status() == ProviderHealth.Status.DOWN ? "health check failed: " + h.lastError() : null;
    }
}
