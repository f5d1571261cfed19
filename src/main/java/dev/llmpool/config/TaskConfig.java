package dev.llmpool.config;

import java.util.List;

import dev.llmpool.ensemble.Strategy;

/** One task as configured under {@code pool.tasks.<name>.*}. */
public record TaskConfig(
        String name,
        List<String> providers,
        Strategy strategy,
        String promptFile,
        String promptTemplate,
        long hedgeAfterMs,
        String judge,
        double consensusThreshold,
        int maxTokens,
        long deadlineMs) {
}
