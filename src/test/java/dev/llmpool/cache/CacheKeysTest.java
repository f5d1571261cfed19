package dev.llmpool.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import dev.llmpool.api.InferRequest;
import dev.llmpool.config.Limits;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.TaskConfig;
import dev.llmpool.ensemble.Strategy;

/** What does and does not change the response cache key and the Idempotency-Key fingerprint. */
class CacheKeysTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final CacheKeys keys = new CacheKeys();

    private static ProviderConfig provider(String model) {
        return new ProviderConfig("phi3", "http://localhost:11434", ProviderConfig.Kind.OLLAMA, model, 0.6, 4,
                new ProviderConfig.BreakerSettings(50, 5, 10, 10, 30, 1, 100, 0));
    }

    private static TaskConfig task(String template, long hedgeAfterMs) {
        return new TaskConfig("t", List.of("phi3"), Strategy.FASTEST, "prompts/t.md", template, hedgeAfterMs, null,
                0.67, 256, 1500);
    }

    private static PoolConfig config(TaskConfig task, ProviderConfig provider, long version) {
        return new PoolConfig(Map.of("phi3", provider), Map.of("t", task), new Limits(1500, 16384, 1 << 20),
                "judge {{prompt}}", version);
    }

    private static InferRequest request(Integer maxTokens, Long deadline, Strategy strategy, String format, boolean cache) {
        try {
            JsonNode f = format == null ? null : JSON.readTree(format);
            return new InferRequest("t", "hello", maxTokens, deadline, strategy, 0.2, f, cache);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private final PoolConfig base = config(task("Q: {{prompt}}", 0), provider("phi3:mini"), 1);
    private final InferRequest plain = request(null, null, null, null, true);

    @Test
    void defaultsAndTheTasksOwnValuesGiveTheSameKey() {
        assertEquals(keys.responseKey(plain, base), keys.responseKey(request(256, null, Strategy.FASTEST, null, true), base));
    }

    @Test
    void deadlineCacheFlagAndConfigVersionDoNotChangeTheKey() {
        String key = keys.responseKey(plain, base);
        assertEquals(key, keys.responseKey(request(null, 900L, null, null, false), base));
        assertEquals(key, keys.responseKey(plain, config(task("Q: {{prompt}}", 0), provider("phi3:mini"), 7)),
                "reloading other keys leaves this task's entries valid");
    }

    @Test
    void theTaskAndItsProvidersAreInTheKey() {
        String key = keys.responseKey(plain, base);
        assertNotEquals(key, keys.responseKey(plain, config(task("Question: {{prompt}}", 0), provider("phi3:mini"), 2)));
        assertNotEquals(key, keys.responseKey(plain, config(task("Q: {{prompt}}", 300), provider("phi3:mini"), 2)));
        assertNotEquals(key, keys.responseKey(plain, config(task("Q: {{prompt}}", 0), provider("phi3:medium"), 2)));
        assertNotEquals(key, keys.responseKey(request(64, null, null, null, true), base));
        assertNotEquals(key, keys.responseKey(request(null, null, Strategy.VOTING, null, true), base));
        assertNotEquals(key, keys.responseKey(request(null, null, null, "\"json\"", true), base));
    }

    @Test
    void keyOrderInsideAFormatSchemaDoesNotMatter() {
        InferRequest ab = request(null, null, null, "{\"type\":\"object\",\"properties\":{\"a\":{},\"b\":{}}}", true);
        InferRequest ba = request(null, null, null, "{\"properties\":{\"b\":{},\"a\":{}},\"type\":\"object\"}", true);
        assertEquals(keys.responseKey(ab, base), keys.responseKey(ba, base));
        assertEquals(keys.fingerprint(ab), keys.fingerprint(ba));
    }

    @Test
    void theFingerprintCoversEveryFieldTheCallerSent() {
        String fp = keys.fingerprint(plain);
        assertEquals(fp, keys.fingerprint(request(null, null, null, null, true)));
        assertNotEquals(fp, keys.fingerprint(request(null, 900L, null, null, true)));
        assertNotEquals(fp, keys.fingerprint(request(null, null, null, null, false)));
        assertNotEquals(fp, keys.fingerprint(request(256, null, null, null, true)));
    }
}
