package dev.llmpool.config;

import java.util.List;

import dev.llmpool.ensemble.Similarity;
import dev.llmpool.ensemble.Strategy;

/**
 * One task as configured under {@code pool.tasks.<name>.*}.
 *
 * @param similarity          when VOTING, WEIGHTED and CONSENSUS count two answers as the same
 * @param similarityThreshold with {@link Similarity#SEMANTIC}: the least cosine similarity of two answers' embeddings
 *                            that puts them in one group
 */
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
        long deadlineMs,
        Similarity similarity,
        double similarityThreshold) {

    /** The task's default cosine threshold for {@link Similarity#SEMANTIC}. */
    public static final double DEFAULT_SIMILARITY_THRESHOLD = 0.9;

    /** A task that groups answers by their normalised text. */
    public TaskConfig(String name, List<String> providers, Strategy strategy, String promptFile, String promptTemplate,
                      long hedgeAfterMs, String judge, double consensusThreshold, int maxTokens, long deadlineMs) {
        this(name, providers, strategy, promptFile, promptTemplate, hedgeAfterMs, judge, consensusThreshold, maxTokens,
                deadlineMs, Similarity.EXACT, DEFAULT_SIMILARITY_THRESHOLD);
    }
}
