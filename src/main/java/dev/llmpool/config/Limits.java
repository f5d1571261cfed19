package dev.llmpool.config;

/** Request limits enforced before any backend is called. */
public record Limits(long maxDeadlineMs, int maxPromptBytes, int maxBodyBytes) {
}
