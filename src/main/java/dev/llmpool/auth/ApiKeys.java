package dev.llmpool.auth;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * API keys: 32 random bytes, base64url with the prefix {@code lp_} (no dot, so never mistaken for a JWT). The pool
 * stores only their SHA-256 digests; {@code java -jar llm-pool.jar new-key} prints a new key and its digest.
 */
public final class ApiKeys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {
    }

    public static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "lp_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256Hex(String key) {
        return HexFormat.of().formatHex(sha256(key));
    }

    /** The {@code new-key} command: a key for the caller, and the line for the configuration. */
    public static void printNewKey(PrintStream out) {
        String key = newKey();
        out.println("API key (give it to the caller; it is not stored anywhere):");
        out.println("  " + key);
        out.println("Its SHA-256, for application.properties (comma-separate several keys of one tenant):");
        out.println("  pool.tenants.<tenant>.api-key-sha256=" + sha256Hex(key));
    }
}
