package dev.llmpool.config;

import java.util.Map;

/**
 * An immutable snapshot of the pool's configuration. A request reads one snapshot at its start and keeps it
 * to the end, so a reload never changes the rules under a request in flight.
 */
public record PoolConfig(
        Map<String, ProviderConfig> providers,
        Map<String, TaskConfig> tasks,
        Limits limits,
        String judgePrompt,
        long version) {

    public TaskConfig task(String name) {
        return tasks.get(name);
    }

    public ProviderConfig provider(String name) {
        return providers.get(name);
    }
}
