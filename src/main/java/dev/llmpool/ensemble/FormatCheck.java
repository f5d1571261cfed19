package dev.llmpool.ensemble;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import dev.llmpool.providers.ProviderReply;

/**
 * Whether an answer is what a request with {@code format} asked for: JSON, matching the schema when the format is
 * one, and not cut at {@code max_tokens} (a cut answer is at best a prefix of the JSON asked for). An answer that
 * is not is a failed attempt: the strategy moves on to another provider, and does not count it.
 */
final class FormatCheck {

    /** Text after the JSON value ("{...} Hope this helps!") makes the answer invalid JSON, as a client's parser sees it. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Schemas that name no dialect ({@code $schema}) are read as the latest draft, as OpenAI's structured outputs are. */
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final int MAX_ERRORS_NAMED = 3;

    private FormatCheck() {
    }

    /** Why the answer does not fit the format, or null when it does (or no format was asked for). */
    static String problem(JsonNode format, ProviderReply reply) {
        if (format == null || format.isNull()) {
            return null;
        }
        if (reply.cutAtMaxTokens()) {
            return "invalid output: answer cut at max_tokens (finish_reason length)";
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(reply.content());
        } catch (IOException e) {
            answer = null;
        }
        if (answer == null || answer.isMissingNode()) {
            return "invalid output: answer is not valid JSON";
        }
        if (!format.isObject()) {
            return null; // "json": any JSON will do
        }
        List<Error> errors;
        try {
            Schema schema = SCHEMAS.getSchema(format);
            errors = schema.validate(answer);
        } catch (RuntimeException e) {
            return null; // a schema the validator cannot read was the caller's to get right; the backend got it as is
        }
        if (errors.isEmpty()) {
            return null;
        }
        StringBuilder why = new StringBuilder("invalid output: answer does not match the schema: ");
        for (int i = 0; i < Math.min(MAX_ERRORS_NAMED, errors.size()); i++) {
            why.append(i == 0 ? "" : "; ").append(errors.get(i).toString());
        }
        return why.toString();
    }
}
