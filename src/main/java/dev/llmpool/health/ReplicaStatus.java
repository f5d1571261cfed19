package dev.llmpool.health;

import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.ProviderUrls;
import dev.llmpool.resilience.ProviderGuards;
import dev.llmpool.resilience.Replica;

/** A provider's replicas as /health and the operations page show them: one object per base URL. */
public final class ReplicaStatus {

    private ReplicaStatus() {
    }

    /**
     * Adds {@code replicas} to the provider's node: each replica's masked URL, its last health check, circuit, calls
     * in flight, whether it may get calls, and its recent call latency.
     */
    public static void write(ObjectNode provider, ProviderConfig p, HealthRegistry health, ProviderGuards guards) {
        ArrayNode list = provider.putArray("replicas");
        List<Replica> replicas = guards.replicas(p.name());
        for (Replica r : replicas) {
            ProviderHealth h = health.replica(p.name(), r.url());
            ObjectNode n = list.addObject();
            n.put("url", ProviderUrls.masked(r.url())).put("status", h.status().name())
                    .put("circuit", r.breaker().getState().name()).put("inflight", r.inFlight())
                    .put("usable", guards.mayGetCalls(p.name(), r));
            if (r.recentLatencyMs() > 0) {
                n.put("recent_latency_ms", r.recentLatencyMs());
            }
            if (h.lastError() != null) {
                n.put("last_error", h.lastError());
            }
        }
    }
}
