package dev.llmpool.ensemble;

import java.util.Locale;
import java.util.Optional;

/** The ensemble strategies a task or a request can ask for. */
public enum Strategy {
    FASTEST, VOTING, WEIGHTED, CONSENSUS, JUDGE;

    public static Optional<Strategy> parse(String s) {
        if (s == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(s.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
