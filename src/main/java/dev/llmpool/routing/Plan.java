package dev.llmpool.routing;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.llmpool.config.ProviderConfig;
import dev.llmpool.ensemble.Similarity;
import dev.llmpool.ensemble.Strategy;

/**
 * What the ensemble is to do for one request: which providers in which order, under which strategy, with
 * which rendered prompt and options, until when. Made once by {@link TaskResolver}; read-only after.
 *
 * @param deadlineNanos absolute {@link System#nanoTime()} after which the request answers 504
 * @param skipped       providers of the task left out before the call (health DOWN), with the reason
 * @param messages      the conversation sent to the backends, the rendered prompt as its last user message; null
 *                      for a single prompt (the task API)
 * @param similarity    how VOTING, WEIGHTED and CONSENSUS group answers, with {@code similarityThreshold} the least
 *                      cosine similarity for {@link Similarity#SEMANTIC}
 * @param sampling      the caller's top_p, stop and seed, for every backend call
 */
public record Plan(
        String requestId,
        String task,
        Strategy strategy,
        List<ProviderConfig> providers,
        ProviderConfig judge,
        String judgePrompt,
        String prompt,
        String userPrompt,
        int maxTokens,
        Double temperature,
        JsonNode format,
        long hedgeAfterMs,
        double consensusThreshold,
        long startedNanos,
        long deadlineNanos,
        java.util.Map<String, String> skipped,
        List<dev.llmpool.api.ChatMessage> messages,
        Similarity similarity,
        double similarityThreshold,
        dev.llmpool.api.Sampling sampling) {

    /** A plan for a single prompt that groups answers by their normalised text, with no sampling options. */
    public Plan(String requestId, String task, Strategy strategy, List<ProviderConfig> providers, ProviderConfig judge,
                String judgePrompt, String prompt, String userPrompt, int maxTokens, Double temperature, JsonNode format,
                long hedgeAfterMs, double consensusThreshold, long startedNanos, long deadlineNanos,
                java.util.Map<String, String> skipped) {
        this(requestId, task, strategy, providers, judge, judgePrompt, prompt, userPrompt, maxTokens, temperature, format,
                hedgeAfterMs, consensusThreshold, startedNanos, deadlineNanos, skipped, null, Similarity.EXACT,
                dev.llmpool.config.TaskConfig.DEFAULT_SIMILARITY_THRESHOLD, dev.llmpool.api.Sampling.NONE);
    }

    public long remainingMillis() {
        return Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
    }

    public boolean wantsJson() {
        return format != null;
    }

    /** This plan with only {@code fitting} of its providers; the others are added to {@code skipped}, with why. */
    public Plan narrowedTo(List<ProviderConfig> fitting, java.util.Map<String, String> newlySkipped) {
        java.util.Map<String, String> allSkipped = new java.util.LinkedHashMap<>(skipped);
        allSkipped.putAll(newlySkipped);
        return new Plan(requestId, task, strategy, List.copyOf(fitting), judge, judgePrompt, prompt, userPrompt, maxTokens,
                temperature, format, hedgeAfterMs, consensusThreshold, startedNanos, deadlineNanos,
                java.util.Map.copyOf(allSkipped), messages, similarity, similarityThreshold, sampling);
    }
}
