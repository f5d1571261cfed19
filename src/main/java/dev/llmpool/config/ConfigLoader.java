package dev.llmpool.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

import dev.llmpool.config.ProviderConfig.BreakerSettings;
import dev.llmpool.config.ProviderConfig.Kind;
import dev.llmpool.ensemble.Similarity;
import dev.llmpool.ensemble.Strategy;

/**
 * Turns the {@code pool.*} properties into a validated {@link PoolConfig}. Every rule fails with a
 * {@link ConfigException} naming the key, so an operator's bad edit is easy to find in the log.
 */
public final class ConfigLoader {

    private final Path baseDir;

    /** @param baseDir where relative prompt paths are resolved (the working directory in production) */
    public ConfigLoader(Path baseDir) {
        this.baseDir = baseDir;
    }

    public PoolConfig load(Properties props, long version) {
        PromptFiles prompts = new PromptFiles(baseDir.resolve(get(props, "pool.prompts.dir", "prompts")));
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        for (String name : names(props, "pool.providers.")) {
            providers.put(name, provider(props, name));
        }
        if (providers.isEmpty()) {
            throw new ConfigException("no provider configured: add pool.providers.<name>.url");
        }
        Limits limits = new Limits(
                positiveLong(props, "pool.limits.max-deadline-ms", 1500),
                (int) positiveLong(props, "pool.limits.max-prompt-bytes", 16384),
                (int) positiveLong(props, "pool.limits.max-body-bytes", 1_048_576));
        Map<String, TaskConfig> tasks = new LinkedHashMap<>();
        for (String name : names(props, "pool.tasks.")) {
            tasks.put(name, task(props, name, providers, limits, prompts));
        }
        if (tasks.isEmpty()) {
            throw new ConfigException("no task configured: add pool.tasks.<name>.providers");
        }
        String judgePrompt = prompts.read("pool.judge.prompt", baseDir, get(props, "pool.judge.prompt", "prompts/judge.md"));
        return new PoolConfig(Map.copyOf(providers), Map.copyOf(tasks), limits, judgePrompt, version);
    }

    private ProviderConfig provider(Properties p, String name) {
        String k = "pool.providers." + name + ".";
        String url = require(p, k + "url");
        List<String> replicas = ProviderConfig.splitUrls(url);
        if (replicas.isEmpty()) {
            throw new ConfigException(k + "url needs at least one base URL");
        }
        if (replicas.size() != new java.util.HashSet<>(replicas).size()) {
            throw new ConfigException(k + "url lists the same base URL twice");
        }
        boolean allowLinkLocal = Boolean.parseBoolean(get(p, k + "allow-link-local", "false"));
        for (String replica : replicas) {
            ProviderUrls.validate(k + "url", replica, allowLinkLocal);
        }
        Kind kind = switch (get(p, k + "kind", "ollama").toLowerCase(Locale.ROOT)) {
            case "ollama" -> Kind.OLLAMA;
            case "openai" -> Kind.OPENAI;
            default -> throw new ConfigException(k + "kind must be ollama or openai, got '" + p.getProperty(k + "kind") + "'");
        };
        double weight = number(p, k + "weight", 1.0);
        if (weight < 0) {
            throw new ConfigException(k + "weight must be >= 0");
        }
        String b = k + "breaker.";
        BreakerSettings breaker = new BreakerSettings(
                percentage(p, b + "failure-rate-threshold", 50),
                (int) positiveLong(p, b + "minimum-calls", 5),
                (int) positiveLong(p, b + "sliding-window-size", 10),
                (int) positiveLong(p, b + "wait-in-open-seconds", 10),
                (int) positiveLong(p, b + "slow-call-seconds", 30),
                (int) positiveLong(p, b + "half-open-calls", 1),
                percentage(p, b + "slow-call-rate-threshold", 100),
                // not set: a call waits for a slot up to its request's deadline
                nonNegativeLong(p, k + "max-concurrency-wait-ms", Long.MAX_VALUE));
        long contextTokens = nonNegativeLong(p, k + "context-tokens", 0);
        if (contextTokens > Integer.MAX_VALUE) {
            throw new ConfigException(k + "context-tokens must be at most " + Integer.MAX_VALUE);
        }
        return new ProviderConfig(name, String.join(",", replicas), kind, require(p, k + "model"), weight,
                (int) positiveLong(p, k + "max-concurrency", 4), breaker, replicas,
                (int) positiveLong(p, k + "queue-size", ProviderConfig.DEFAULT_QUEUE_SIZE), (int) contextTokens);
    }

    private TaskConfig task(Properties p, String name, Map<String, ProviderConfig> providers, Limits limits,
                            PromptFiles prompts) {
        String k = "pool.tasks." + name + ".";
        List<String> names = new ArrayList<>();
        for (String s : require(p, k + "providers").split(",")) {
            String provider = s.trim();
            if (provider.isEmpty()) {
                continue;
            }
            if (!providers.containsKey(provider)) {
                throw new ConfigException(k + "providers names unknown provider '" + provider + "' (known: "
                        + String.join(", ", providers.keySet()) + ")");
            }
            names.add(provider);
        }
        if (names.isEmpty()) {
            throw new ConfigException(k + "providers must name at least one provider");
        }
        Strategy strategy = Strategy.parse(get(p, k + "strategy", "FASTEST"))
                .orElseThrow(() -> new ConfigException(k + "strategy must be one of " + Arrays.toString(Strategy.values())
                        + ", got '" + p.getProperty(k + "strategy") + "'"));
        String judge = get(p, k + "judge", null);
        if (judge != null && !providers.containsKey(judge)) {
            throw new ConfigException(k + "judge names unknown provider '" + judge + "'");
        }
        if (strategy == Strategy.JUDGE && judge == null) {
            judge = names.get(0);
        }
        double threshold = number(p, k + "consensus-threshold", 2.0 / 3.0);
        if (threshold <= 0 || threshold > 1) {
            throw new ConfigException(k + "consensus-threshold must be in (0, 1]");
        }
        long deadline = positiveLong(p, k + "deadline-ms", limits.maxDeadlineMs());
        if (deadline > limits.maxDeadlineMs()) {
            throw new ConfigException(k + "deadline-ms (" + deadline + ") exceeds pool.limits.max-deadline-ms ("
                    + limits.maxDeadlineMs() + ")");
        }
        Similarity similarity = Similarity.parse(get(p, k + "similarity", "exact"))
                .orElseThrow(() -> new ConfigException(k + "similarity must be exact or semantic, got '"
                        + p.getProperty(k + "similarity") + "'"));
        double similarityThreshold = number(p, k + "similarity-threshold", 0.9);
        if (similarityThreshold <= 0 || similarityThreshold > 1) {
            throw new ConfigException(k + "similarity-threshold must be in (0, 1]");
        }
        String promptFile = get(p, k + "prompt", "prompts/" + name + ".md");
        return new TaskConfig(name, List.copyOf(names), strategy, promptFile, prompts.read(k + "prompt", baseDir, promptFile),
                nonNegativeLong(p, k + "hedge-after-ms", 0), judge, threshold,
                (int) positiveLong(p, k + "max-tokens", 256), deadline, similarity, similarityThreshold);
    }

    /** The distinct {@code <name>} segments of keys {@code prefix<name>.<field>}, sorted for stable order. */
    private static TreeSet<String> names(Properties p, String prefix) {
        TreeSet<String> names = new TreeSet<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith(prefix)) {
                String rest = key.substring(prefix.length());
                int dot = rest.indexOf('.');
                if (dot > 0) {
                    names.add(rest.substring(0, dot));
                }
            }
        }
        return names;
    }

    /** A key's trimmed value, or {@code def} when it is missing or blank. */
    public static String get(Properties p, String key, String def) {
        String v = p.getProperty(key);
        return v == null || v.isBlank() ? def : v.trim();
    }

    private static String require(Properties p, String key) {
        String v = get(p, key, null);
        if (v == null) {
            throw new ConfigException(key + " is required");
        }
        return v;
    }

    private static double number(Properties p, String key, double def) {
        String v = get(p, key, null);
        if (v == null) {
            return def;
        }
        try {
            double d = Double.parseDouble(v);
            if (!Double.isFinite(d)) {
                throw new ConfigException(key + " must be a finite number, got '" + v + "'");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new ConfigException(key + " must be a number, got '" + v + "'");
        }
    }

    /** A threshold in percent: Resilience4j accepts (0, 100]. */
    private static float percentage(Properties p, String key, double def) {
        double v = number(p, key, def);
        if (v <= 0 || v > 100) {
            throw new ConfigException(key + " must be a percentage in (0, 100], got " + v);
        }
        return (float) v;
    }

    private static long positiveLong(Properties p, String key, long def) {
        long v = nonNegativeLong(p, key, def);
        if (v == 0) {
            throw new ConfigException(key + " must be > 0");
        }
        return v;
    }

    /** A key's whole number >= 0, or {@code def} when it is missing; anything else is a ConfigException naming the key. */
    public static long nonNegativeLong(Properties p, String key, long def) {
        String v = get(p, key, null);
        if (v == null) {
            return def;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new ConfigException(key + " must be >= 0, got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException(key + " must be a whole number, got '" + v + "'");
        }
    }
}
