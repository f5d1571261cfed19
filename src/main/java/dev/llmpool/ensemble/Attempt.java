package dev.llmpool.ensemble;

import dev.llmpool.providers.ProviderReply;

/**
 * What one provider did for a request: an answer, or why not. An answer that does not fit the request's
 * {@code format} keeps both: the reply (its tokens were spent) and the failure (it does not count as an answer).
 */
public record Attempt(String provider, String model, ProviderReply reply, String failure) {

    public boolean succeeded() {
        return reply != null && failure == null;
    }

    /** The backend answered, but not in the format the request asked for. */
    public boolean invalidOutput() {
        return reply != null && failure != null;
    }
}
