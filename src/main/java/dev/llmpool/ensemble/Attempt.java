package dev.llmpool.ensemble;

import dev.llmpool.providers.ProviderReply;

/** What one provider did for a request: an answer, or why not. Exactly one of the two is set. */
public record Attempt(String provider, String model, ProviderReply reply, String failure) {

    public boolean succeeded() {
        return reply != null;
    }
}
