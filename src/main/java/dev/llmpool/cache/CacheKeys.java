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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

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
 * SHA-256 digests: the response cache key, and the fingerprint of a request body that an Idempotency-Key is bound
 * to. Field order and whitespace in the caller's body never matter: the request's fields are digested one by one
 * (each length-prefixed, so no two different requests give the same input), and a {@code format} schema as
 * canonical JSON (keys sorted at every level).
 *
 * <p>The configuration's part of a key (the task, its providers, the judge's template) is canonical JSON too, but
 * digested once per task and configuration snapshot rather than on every request.
 */
public final class CacheKeys {

    /** Bump when the key's input or the cached value's shape changes, so old entries are never read. */
    private static final int VERSION = 3;  // 3: the tenant
    private static final HexFormat HEX = HexFormat.of();
    private static final MessageDigest SHA_256;

    static {
        try {
            SHA_256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ObjectMapper canonical = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .build();

    /** The configuration parts of the snapshot seen last, by task (and by JUDGE or not). */
    private record ConfigParts(PoolConfig config, ConcurrentMap<String, byte[]> plain, ConcurrentMap<String, byte[]> judge) {
    }

    private volatile ConfigParts parts = new ConfigParts(null, new ConcurrentHashMap<>(), new ConcurrentHashMap<>());

    /**
     * Everything that changes the answer: the effective task, prompt, max_tokens, strategy, temperature and
     * format, the task's whole configuration (template text included) and the providers it names (their
     * models and weights), and the judge's template for JUDGE. Not the deadline, the cache flag or the snapshot's
     * version number (a reload that leaves the task as it was keeps its entries).
     */
    public String responseKey(InferRequest req, PoolConfig config) {
        return responseKey(req, config, "default");
    }

    /**
     * As above, for one tenant: the tenant is part of the key, so one tenant's answers (and the identical requests it
     * has in flight) are never another's.
     */
    public String responseKey(InferRequest req, PoolConfig config, String tenant) {
        TaskConfig task = config.task(req.task());
        Strategy strategy = req.strategy() != null ? req.strategy() : task.strategy();
        Digest d = new Digest();
        d.number(VERSION);
        d.text(tenant);
        d.bytes(configPart(config, task, strategy == Strategy.JUDGE));
        d.text(req.task());
        d.text(req.prompt());
        d.number(req.maxTokens() != null ? req.maxTokens() : task.maxTokens());
        d.text(strategy.name());
        d.text(req.temperature() == null ? null : req.temperature().toString());
        d.text(canonicalJson(req.format()));
        conversation(d, req);
        sampling(d, req);
        return d.hex();
    }

    /** The request body as the caller meant it: every field, in canonical form. */
    public String fingerprint(InferRequest req) {
        Digest d = new Digest();
        d.text(req.task());
        d.text(req.prompt());
        d.text(req.maxTokens() == null ? null : req.maxTokens().toString());
        d.text(req.deadlineMs() == null ? null : req.deadlineMs().toString());
        d.text(req.strategy() == null ? null : req.strategy().name());
        d.text(req.temperature() == null ? null : req.temperature().toString());
        d.text(canonicalJson(req.format()));
        d.number(req.cache() ? 1 : 0);
        conversation(d, req);
        sampling(d, req);
        return d.hex();
    }

    /** A door's conversation, turn by turn; nothing for a single prompt, so task API keys stay as they were. */
    /** The sampling options when the caller gave any; nothing otherwise, so earlier keys stay as they were. */
    private static void sampling(Digest d, InferRequest req) {
        if (req.sampling() != null && !req.sampling().isEmpty()) {
            d.text(req.sampling().key());
        }
    }

    private static void conversation(Digest d, InferRequest req) {
        if (req.messages() != null) {
            d.number(req.messages().size());
            for (var m : req.messages()) {
                d.text(m.role());
                d.text(m.content());
            }
        }
    }

    private byte[] configPart(PoolConfig config, TaskConfig task, boolean judge) {
        ConfigParts p = parts;
        // By version, not identity: a door's snapshot with provider tasks (PoolConfig.withProviderTasks) has the same
        // tasks as its base, plus some, and must not make the two take turns here.
        if (p.config() == null || p.config().version() != config.version()) {
            // A new snapshot (or, briefly after a reload, a request still on the old one): start over. Harmless if
            // two snapshots take turns; each part is computed from the snapshot itself.
            p = new ConfigParts(config, new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
            parts = p;
        }
        return (judge ? p.judge() : p.plain()).computeIfAbsent(task.name(), name -> configDigest(config, task, judge));
    }

    private byte[] configDigest(PoolConfig config, TaskConfig task, boolean judge) {
        Map<String, Object> m = new TreeMap<>();
        m.put("task_config", task);
        m.put("providers", providers(task, config));
        if (judge) {
            m.put("judge_prompt", config.judgePrompt());
        }
        try {
            return digest().digest(canonical.writeValueAsBytes(m));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot digest a cache key", e);
        }
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
            m.put("context_tokens", p.contextTokens()); // a new window can change which provider answers
            out.add(m);
        }
        return out;
    }

    /** A JSON tree with its object keys sorted at every level, or null. */
    private String canonicalJson(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return node.toString();  // "json": no tree to sort
        }
        try {
            return canonical.writeValueAsString(canonical.convertValue(node, Object.class));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot digest a cache key", e);
        }
    }

    private static MessageDigest digest() {
        try {
            return (MessageDigest) SHA_256.clone();  // cheaper than a provider lookup per request
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 over length-prefixed fields; a null field is length -1. */
    private static final class Digest {
        private final MessageDigest sha = digest();

        void number(int n) {
            sha.update((byte) (n >>> 24));
            sha.update((byte) (n >>> 16));
            sha.update((byte) (n >>> 8));
            sha.update((byte) n);
        }

        void bytes(byte[] b) {
            number(b.length);
            sha.update(b);
        }

        void text(String s) {
            if (s == null) {
                number(-1);
            } else {
                bytes(s.getBytes(StandardCharsets.UTF_8));
            }
        }

        String hex() {
            return HEX.formatHex(sha.digest());
        }
    }
}
