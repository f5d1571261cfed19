package dev.llmpool.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.llmpool.config.ConfigException;

/** The access configuration as an operator writes it, and the API keys the new-key command makes. */
class AccessConfigTest {

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void offByDefaultWithNoTenants() {
        AccessConfig c = AccessConfig.load(new Properties());
        assertFalse(c.enabled());
        assertTrue(c.tenants().isEmpty());
        assertNull(c.jwt().jwks());
        assertEquals("tenant", c.jwt().tenantClaim());
    }

    @Test
    void tenantsWithTheirKeysTasksAndLimits() {
        String key = ApiKeys.newKey();
        AccessConfig c = AccessConfig.load(props("pool.auth.enabled", "true",
                "pool.tenants.team-a.api-key-sha256", ApiKeys.sha256Hex("other") + ", " + ApiKeys.sha256Hex(key).toUpperCase(),
                "pool.tenants.team-a.tasks", "judge, expand_queries",
                "pool.tenants.team-a.requests-per-minute", "600", "pool.tenants.team-a.admin", "true",
                "pool.tenants.team-b.api-key-sha256", ApiKeys.sha256Hex("b")));
        Tenant a = c.tenant("team-a");
        assertEquals(Set.of("judge", "expand_queries"), a.tasks());
        assertEquals(600, a.requestsPerMinute());
        assertTrue(a.admin());
        assertSame(a, c.tenantOfKeyDigest(ApiKeys.sha256(key)));
        assertTrue(c.tenant("team-b").allows("anything"), "tasks default to *");
        assertNull(c.tenantOfKeyDigest(ApiKeys.sha256(key + "x")));
    }

    @Test
    void mistakesAreRejectedWithTheKeyNamed() {
        ConfigException clear = assertThrows(ConfigException.class,
                () -> AccessConfig.load(props("pool.tenants.a.api-key-sha256", "my-secret-key")));
        assertTrue(clear.getMessage().startsWith("pool.tenants.a.api-key-sha256"), clear.getMessage());
        assertFalse(clear.getMessage().contains("my-secret-key"), "a key pasted in clear is not echoed to the log");
        assertThrows(ConfigException.class, () -> AccessConfig.load(props(
                "pool.tenants.a.api-key-sha256", ApiKeys.sha256Hex("k"), "pool.tenants.b.api-key-sha256", ApiKeys.sha256Hex("k"))));
        assertThrows(ConfigException.class, () -> AccessConfig.load(props("pool.tenants.a.requests-per-minute", "-1")));
        assertThrows(ConfigException.class, () -> AccessConfig.load(props("pool.tenants.a/b.tasks", "*")));
        assertThrows(ConfigException.class, () -> AccessConfig.load(props("pool.auth.jwt.jwks", "ftp://x")));
    }

    @Test
    void newKeyPrintsAKeyAndItsDigest() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ApiKeys.printNewKey(new PrintStream(out, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        Matcher key = Pattern.compile("(lp_[A-Za-z0-9_-]{43})").matcher(text);
        Matcher digest = Pattern.compile("api-key-sha256=([0-9a-f]{64})").matcher(text);
        assertTrue(key.find() && digest.find(), text);
        assertEquals(ApiKeys.sha256Hex(key.group(1)), digest.group(1));
        assertNotEquals(ApiKeys.newKey(), ApiKeys.newKey());
    }
}
