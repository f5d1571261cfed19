package dev.llmpool.api;

import com.fasterxml.jackson.databind.JsonNode;

import dev.llmpool.ensemble.Strategy;

/**
 * A validated inference request. Optional fields are null when the caller left them out, so that task
 * defaults apply later. {@code format} is either the string "json" or a JSON schema object.
 */
public record InferRequest(
        String task,
        String prompt,
        Integer maxTokens,
        Long deadlineMs,
        Strategy strategy,
        Double temperature,
        JsonNode format,
        boolean cache) {
}
