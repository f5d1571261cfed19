package dev.llmpool.api;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.llmpool.ensemble.Strategy;

/**
 * A validated inference request. Optional fields are null when the caller left them out, so that task
 * defaults apply later. {@code format} is either the string "json" or a JSON schema object. {@code messages} is
 * the conversation of the OpenAI- and Ollama-compatible APIs (null for the task API), whose last user message
 * is {@code prompt}. {@code sampling} holds {@code top_p}, {@code stop} and {@code seed}, passed to the backends as given.
 */
public record InferRequest(
        String task,
        String prompt,
        Integer maxTokens,
        Long deadlineMs,
        Strategy strategy,
        Double temperature,
        JsonNode format,
        boolean cache,
        List<ChatMessage> messages,
        Sampling sampling) {

    /** A request of the task API: a single prompt, no conversation. */
    public InferRequest(String task, String prompt, Integer maxTokens, Long deadlineMs, Strategy strategy,
                        Double temperature, JsonNode format, boolean cache) {
        this(task, prompt, maxTokens, deadlineMs, strategy, temperature, format, cache, null, Sampling.NONE);
    }

    /** This request with a door's conversation ({@link RequestState#messages()}); null keeps the single prompt. */
    public InferRequest withMessages(List<ChatMessage> conversation) {
        return new InferRequest(task, prompt, maxTokens, deadlineMs, strategy, temperature, format, cache, conversation,
                sampling);
    }
}
