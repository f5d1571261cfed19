package dev.llmpool.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * Context windows ({@code pool.providers.<name>.context-tokens}): a request goes only to the providers whose window
 * holds its prompt plus max_tokens; when none does, every door answers 413 {@code prompt_too_long_for_task} in its
 * own error shape, and no backend is called.
 */
class ContextWindowTest extends PoolTestSupport {

    /** About a thousand tokens by any tokenizer: over the small window, well inside the large one. */
    private static final String MEDIUM = "word ".repeat(1000).strip();
    /** About three thousand tokens: over both windows. */
    private static final String LONG = "word ".repeat(3000).strip();

    @Override
    protected String extraConfig() {
        return """
                pool.providers.small.url=%s
                pool.providers.small.model=phi3:mini
                pool.providers.small.context-tokens=512
                pool.providers.large.url=%s
                pool.providers.large.model=llama3.1:8b
                pool.providers.large.context-tokens=2048
                pool.tasks.ctx.providers=small,large
                pool.tasks.ctx.strategy=FASTEST
                pool.tasks.ctx.prompt=prompts/expand_queries.md
                pool.tasks.ctx.max-tokens=64
                pool.limits.max-prompt-bytes=65536
                pool.limits.max-deadline-ms=10000
                """.formatted(A.url(), B.url());
    }

    @Test
    void aShortPromptGoesToTheFirstProvider() {
        HttpResponse<String> r = infer("{\"task\":\"ctx\",\"prompt\":\"hello\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("small", json(r).path("winner_provider").asText());
    }

    @Test
    void aPromptOverTheSmallWindowGoesToTheLargerModel() {
        HttpResponse<String> r = infer("{\"task\":\"ctx\",\"prompt\":\"" + MEDIUM + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("large", json(r).path("winner_provider").asText());
        assertEquals(0, A.calls("phi3:mini"), "the small model was never sent the prompt");
        assertEquals(1, B.calls("llama3.1:8b"));
    }

    @Test
    void maxTokensCountsTowardsTheWindow() {
        // a short prompt, but an answer of up to 1000 tokens fits only the large window
        HttpResponse<String> r = infer("{\"task\":\"ctx\",\"prompt\":\"hello\",\"max_tokens\":1000}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("large", json(r).path("winner_provider").asText());
    }

    @Test
    void aPromptOverEveryWindowIs413WithEachProvidersReason() {
        HttpResponse<String> r = infer("{\"task\":\"ctx\",\"prompt\":\"" + LONG + "\"}");
        assertEquals(413, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals("prompt_too_long_for_task", body.path("error").path("code").asText());
        assertNotNull(body.path("request_id").textValue(), r.body());
        for (String p : new String[] {"small", "large"}) {
            String reason = body.path("error").path("providers").path(p).asText();
            assertTrue(reason.contains("context window"), r.body());
        }
        assertTrue(body.path("error").path("providers").path("large").asText().contains("2048 available"), r.body());
        assertEquals(0, A.totalCalls() + B.totalCalls(), "no backend was called");
    }

    @Test
    void theOpenAiDoorAnswers413InOpenAisShape() {
        HttpResponse<String> r = post("/v1/chat/completions", "application/json",
                "{\"model\":\"ctx\",\"messages\":[{\"role\":\"user\",\"content\":\"" + LONG + "\"}]}");
        assertEquals(413, r.statusCode(), r.body());
        JsonNode e = json(r).path("error");
        assertEquals("prompt_too_long_for_task", e.path("code").asText(), r.body());
        assertEquals("invalid_request_error", e.path("type").asText(), r.body());
        assertTrue(r.headers().firstValue("X-Request-Id").isPresent());
    }

    @Test
    void theOllamaDoorAnswers413InOllamasShape() {
        HttpResponse<String> r = post("/api/chat", "application/json",
                "{\"model\":\"ctx\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"" + LONG + "\"}]}");
        assertEquals(413, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals(1, body.size(), r.body());
        assertTrue(body.path("error").asText().contains("context window"), r.body());
        assertTrue(r.headers().firstValue("X-Request-Id").isPresent());
    }
}
