package dev.llmpool.ensemble;

import java.util.Locale;
import java.util.Optional;

/** When VOTING, WEIGHTED and CONSENSUS count two answers as the same ({@code pool.tasks.<task>.similarity}). */
public enum Similarity {
    /** Same text once normalised (case and spacing; JSON by value): see {@link AnswerNormaliser}. */
    EXACT,
    /** Same meaning: their embeddings' cosine similarity reaches the task's threshold (see {@link AnswerEmbeddings}). */
    SEMANTIC;

    public static Optional<Similarity> parse(String s) {
        for (Similarity v : values()) {
            if (v.name().equals(s.trim().toUpperCase(Locale.ROOT))) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
