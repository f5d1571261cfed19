package dev.llmpool.auth;

import static dev.llmpool.config.ConfigLoader.get;
import static dev.llmpool.config.ConfigLoader.nonNegativeLong;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import dev.llmpool.config.ConfigException;

/**
 * Who may call, as configured: {@code pool.auth.*} and {@code pool.tenants.<name>.*} (docs/access-control.md).
 * Loaded with the pool's configuration and reloaded with it (ConfigStore#part); an invalid edit is rejected with
 * the key named.
 */
public record AccessConfig(boolean enabled, Map<String, Tenant> tenants, Jwt jwt) {

    /** Tenant names are used in cache and rate-limit keys and as metric labels: a plain word each. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

    /**
     * JWT settings; {@code jwks} null when JWTs are not accepted.
     *
     * @param tasksClaim null when tokens cannot narrow their tenant's tasks
     */
    public record Jwt(String jwks, String issuer, String audience, String tenantClaim, String tasksClaim,
                      long clockSkewSeconds, long refreshSeconds, long fetchTimeoutMs) {
    }

    public Tenant tenant(String name) {
        return tenants.get(name);
    }

    public static AccessConfig load(Properties p) {
        Map<String, Tenant> tenants = new LinkedHashMap<>();
        Map<String, String> ownerOfHash = new LinkedHashMap<>();
        for (String name : names(p)) {
            String k = "pool.tenants." + name + ".";
            if (!NAME.matcher(name).matches()) {
                throw new ConfigException(k + "*: a tenant name is 1 to 64 of A-Z a-z 0-9 _ -");
            }
            List<byte[]> hashes = new ArrayList<>();
            for (String h : list(get(p, k + "api-key-sha256", ""))) {
                if (!SHA256_HEX.matcher(h).matches()) {
                    throw new ConfigException(k + "api-key-sha256 must be SHA-256 digests in hex (64 characters each);"
                            + " `java -jar llm-pool.jar new-key` prints a key and its digest");
                }
                String other = ownerOfHash.putIfAbsent(h.toLowerCase(), name);
                if (other != null) {
                    throw new ConfigException(k + "api-key-sha256 repeats a key of tenant '" + other + "'");
                }
                hashes.add(HexFormat.of().parseHex(h));
            }
            String tasks = get(p, k + "tasks", "*");
            tenants.put(name, new Tenant(name, List.copyOf(hashes),
                    tasks.equals("*") ? null : Set.copyOf(list(tasks)),
                    count(p, k + "requests-per-minute"), count(p, k + "tokens-per-minute"),
                    count(p, k + "tokens-per-day"), (int) Math.min(Integer.MAX_VALUE, count(p, k + "max-concurrency")),
                    Boolean.parseBoolean(get(p, k + "admin", "false"))));
        }
        String jwks = get(p, "pool.auth.jwt.jwks", "");
        if (!jwks.isEmpty() && !jwks.startsWith("file:") && !jwks.startsWith("https://") && !jwks.startsWith("http://")) {
            throw new ConfigException("pool.auth.jwt.jwks must be file:<path> or an https:// URL, got '" + jwks + "'");
        }
        String tasksClaim = get(p, "pool.auth.jwt.tasks-claim", "");
        Jwt jwt = new Jwt(jwks.isEmpty() ? null : jwks, blankToNull(get(p, "pool.auth.jwt.issuer", "")),
                blankToNull(get(p, "pool.auth.jwt.audience", "")), get(p, "pool.auth.jwt.tenant-claim", "tenant"),
                blankToNull(tasksClaim), nonNegativeLong(p, "pool.auth.jwt.clock-skew-seconds", 30),
                Math.max(1, nonNegativeLong(p, "pool.auth.jwt.jwks-refresh-seconds", 300)),
                Math.max(1, nonNegativeLong(p, "pool.auth.jwt.jwks-timeout-ms", 2000)));
        return new AccessConfig(Boolean.parseBoolean(get(p, "pool.auth.enabled", "false")), Map.copyOf(tenants), jwt);
    }

    /** The tenant holding this API key's digest, comparing every configured digest in constant time; or null. */
    public Tenant tenantOfKeyDigest(byte[] digest) {
        Tenant found = null;
        for (Tenant t : tenants.values()) {
            for (byte[] h : t.keyHashes()) {
                if (MessageDigest.isEqual(h, digest) && found == null) {  // no early exit: the time says nothing
                    found = t;
                }
            }
        }
        return found;
    }

    private static Set<String> names(Properties p) {
        Set<String> names = new TreeSet<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("pool.tenants.")) {
                String rest = key.substring("pool.tenants.".length());
                int dot = rest.lastIndexOf('.');
                if (dot > 0) {
                    names.add(rest.substring(0, dot));
                }
            }
        }
        return names;
    }

    private static List<String> list(String csv) {
        Set<String> out = new LinkedHashSet<>();
        for (String s : csv.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return List.copyOf(out);
    }

    private static String blankToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    private static long count(Properties p, String key) {
        return nonNegativeLong(p, key, 0);
    }
}
