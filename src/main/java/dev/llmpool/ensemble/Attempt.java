package dev.llmpool.ensemble;

import dev.llmpool.providers.ProviderReply;

/**
 * What one provider did for a request: an answer, or why not. An answer that does not fit the request's
 * {@code format} keeps both: the reply (its tokens were spent) and the failure (it does not count as an answer).
 *
 * @param embedding the answer's embedding when the task groups answers by meaning ({@link Similarity#SEMANTIC}); null
 *                  otherwise, or when it could not be computed (the answer is then grouped by its text)
 */
public record Attempt(String provider, String model, ProviderReply reply, String failure, float[] embedding) {

    public Attempt(String provider, String model, ProviderReply reply, String failure) {
        this(provider, model, reply, failure, null);
    }

    public boolean succeeded() {
        return reply != null && failure == null;
    }

    /** The backend answered, but not in the format the request asked for. */
    public boolean invalidOutput() {
        return reply != null && failure != null;
    }
}
