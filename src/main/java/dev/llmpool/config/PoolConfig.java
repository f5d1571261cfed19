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

    /**
     * This snapshot plus, for each provider no task is named after, a task of the provider's name: that provider
     * alone, FASTEST, no template, 256 tokens, the longest deadline allowed. The OpenAI- and Ollama-compatible
     * APIs serve a {@code model} that names a provider with it (a task of that name wins); the task API does not.
     */
    public PoolConfig withProviderTasks() {
        Map<String, TaskConfig> all = new java.util.LinkedHashMap<>(tasks);
        for (ProviderConfig p : providers.values()) {
            all.putIfAbsent(p.name(), new TaskConfig(p.name(), java.util.List.of(p.name()),
                    dev.llmpool.ensemble.Strategy.FASTEST, null, null, 0, null, 2.0 / 3.0, 256, limits.maxDeadlineMs()));
        }
        return new PoolConfig(providers, Map.copyOf(all), limits, judgePrompt, version);
    }
}
