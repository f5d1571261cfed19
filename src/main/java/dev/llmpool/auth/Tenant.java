package dev.llmpool.auth;

import java.util.List;
import java.util.Set;

/**
 * One tenant's configuration ({@code pool.tenants.<name>.*}). Limits of 0 mean unlimited; {@code tasks} null means
 * every task ({@code *}).
 *
 * @param keyHashes the SHA-256 digests of its API keys (never the keys)
 */
public record Tenant(String name, List<byte[]> keyHashes, Set<String> tasks, long requestsPerMinute,
                     long tokensPerMinute, long tokensPerDay, int maxConcurrency, boolean admin) {

    public boolean allows(String task) {
        return tasks == null || tasks.contains(task);
    }
}
