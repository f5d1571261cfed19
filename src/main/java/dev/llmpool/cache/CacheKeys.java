package dev.llmpool.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.llmpool.api.InferRequest;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.TaskConfig;
import dev.llmpool.ensemble.Strategy;

/**
 * SHA-256 digests over canonical JSON (keys sorted at every level, so field order and whitespace in the
 * caller's body never matter): the response cache key, and the fingerprint of a request body that an
 * Idempotency-Key is bound to.
 */
public final class CacheKeys {

    /** Bump when the cached value's shape changes, so old entries are never read. */
    private static final int VERSION = 1;

    private final ObjectMapper canonical = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .build();

    /**
     * Everything that changes the answer: the effective task, prompt, max_tokens, strategy, temperature and
     * format, the task's whole configuration (template text included) and the providers it names (their
     * models and weights), and the judge's template for JUDGE. Not the deadline or the cache flag.
     */
    public String responseKey(InferRequest req, PoolConfig config) {
        TaskConfig task = config.task(req.task());
        Strategy strategy = req.strategy() != null ? req.strategy() : task.strategy();
        Map<String, Object> m = new TreeMap<>();
        m.put("v", VERSION);
        m.put("task", req.task());
        m.put("prompt", req.prompt());
        m.put("max_tokens", req.maxTokens() != null ? req.maxTokens() : task.maxTokens());
        m.put("strategy", strategy.name());
        m.put("temperature", req.temperature());
        m.put("format", plain(req.format()));
        m.put("task_config", task);
        m.put("providers", providers(task, config));
        if (strategy == Strategy.JUDGE) {
            m.put("judge_prompt", config.judgePrompt());
        }
        return sha256(m);
    }

    /** The request body as the caller meant it: every field, in canonical form. */
    public String fingerprint(InferRequest req) {
        Map<String, Object> m = new TreeMap<>();
        m.put("task", req.task());
        m.put("prompt", req.prompt());
        m.put("max_tokens", req.maxTokens());
        m.put("deadline_ms", req.deadlineMs());
        m.put("strategy", req.strategy() == null ? null : req.strategy().name());
        m.put("temperature", req.temperature());
        m.put("format", plain(req.format()));
        m.put("cache", req.cache());
        return sha256(m);
    }

    private static List<Map<String, Object>> providers(TaskConfig task, PoolConfig config) {
        Set<String> names = new LinkedHashSet<>(task.providers());
        if (task.judge() != null) {
            names.add(task.judge());
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (String name : names) {
            ProviderConfig p = config.provider(name);
            Map<String, Object> m = new TreeMap<>();
            m.put("name", p.name());
            m.put("url", p.url());
            m.put("kind", p.kind().name());
            m.put("model", p.model());
            m.put("weight", p.weight());
            out.add(m);
        }
        return out;
    }

    /** A JSON tree as maps and lists, so that the canonical mapper sorts its object keys too. */
    private Object plain(JsonNode node) {
        return node == null ? null : canonical.convertValue(node, Object.class);
    }

    private String sha256(Object canonicalForm) {
        try {
            byte[] json = canonical.writeValueAsString(canonicalForm).getBytes(StandardCharsets.UTF_8);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot digest a cache key", e);
        }
    }
}
