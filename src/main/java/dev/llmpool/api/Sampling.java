package dev.llmpool.api;

import java.util.List;

/**
 * The caller's sampling options that go to the backends as given (issue 14): nucleus sampling {@code top_p}, stop
 * sequences and a seed. Each is null when the caller left it out (the backend's default applies).
 */
public record Sampling(Double topP, List<String> stop, Long seed) {

    public static final Sampling NONE = new Sampling(null, null, null);

    public boolean isEmpty() {
        return topP == null && stop == null && seed == null;
    }

    /** A stable text of the options, for cache keys: null when there are none, so earlier keys stay as they were. */
    public String key() {
        return isEmpty() ? null : "top_p=" + topP + ";stop=" + stop + ";seed=" + seed;
    }
}
