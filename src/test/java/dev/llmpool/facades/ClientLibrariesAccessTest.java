package dev.llmpool.facades;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.auth.ApiKeys;

/**
 * OpenAI's Java SDK against the pool with access control on: the pool's 401, 403 and 429 reach the caller as the
 * SDK's own typed exceptions (UnauthorizedException, PermissionDeniedException, RateLimitException), with the
 * error body's code readable through them.
 */
class ClientLibrariesAccessTest extends PoolTestSupport {

    private static final String ONE_A_MINUTE = "lp_sdk-one-a-minute";
    private static final String ONLY_ENRICH = "lp_sdk-only-enrich";

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.auth.enabled=true
                pool.tenants.sdk.api-key-sha256=%s
                pool.tenants.sdk.requests-per-minute=1
                pool.tenants.narrow.api-key-sha256=%s
                pool.tenants.narrow.tasks=enrich_metadata
                """.formatted(ApiKeys.sha256Hex(ONE_A_MINUTE), ApiKeys.sha256Hex(ONLY_ENRICH));
    }

    private OpenAIClient openAi(String apiKey) {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey(apiKey)
                .maxRetries(0).build();
    }

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("hello").build();
    }

    @Test
    void unauthorizedForbiddenAndRateLimitedArriveAsTheSdksTypedExceptions() {
        UnauthorizedException unknownKey = assertThrows(UnauthorizedException.class,
                () -> openAi("lp_not-a-tenant").chat().completions().create(chat("enrich_metadata")));
        assertEquals(401, unknownKey.statusCode());
        assertEquals("unauthenticated", unknownKey.code().orElseThrow());

        PermissionDeniedException otherTask = assertThrows(PermissionDeniedException.class,
                () -> openAi(ONLY_ENRICH).chat().completions().create(chat("expand_queries")));
        assertEquals(403, otherTask.statusCode());
        assertEquals("forbidden", otherTask.code().orElseThrow());
        assertEquals("phi3 says hello", openAi(ONLY_ENRICH).chat().completions().create(chat("enrich_metadata"))
                .choices().get(0).message().content().orElseThrow(), "the tenant's own task is served");

        OpenAIClient limited = openAi(ONE_A_MINUTE);
        assertEquals(1, limited.chat().completions().create(chat("enrich_metadata")).choices().size());
        RateLimitException limit = assertThrows(RateLimitException.class,
                () -> limited.chat().completions().create(chat("enrich_metadata")));
        assertEquals(429, limit.statusCode());
        assertEquals("rate_limited", limit.code().orElseThrow());
        assertTrue(limit.headers().names().stream().anyMatch(h -> h.equalsIgnoreCase("Retry-After")),
                "Retry-After tells the SDK when to try again: " + limit.headers().names());
    }
}
