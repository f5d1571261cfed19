package dev.llmpool.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A token verified once is remembered (its signature is not checked again for the next request), but never past
 * what would refuse it: its expiry, or its key leaving the key set.
 */
class JwtVerifierTest {

    @TempDir
    Path dir;

    private AccessConfig.Jwt settings(Path jwks) {
        // no clock skew: a token expires exactly at its exp
        return new AccessConfig.Jwt("file:" + jwks, AccessTestSupport.ISSUER, "llm-pool", "tenant", "", 0, 300, 2000);
    }

    private JwksCache keysFrom(Path jwks, RSAKey... keys) throws Exception {
        Files.writeString(jwks, new JWKSet(java.util.Arrays.stream(keys).map(RSAKey::toPublicJWK)
                .map(k -> (com.nimbusds.jose.jwk.JWK) k).toList()).toString());
        AccessConfig config = new AccessConfig(true, Map.of(), settings(jwks));
        JwksCache cache = new JwksCache(() -> config);
        cache.refresh();
        return cache;
    }

    @Test
    void aRememberedTokenStillExpires() throws Exception {
        Path jwks = dir.resolve("jwks.json");
        JwtVerifier verifier = new JwtVerifier(keysFrom(jwks, AccessTestSupport.RSA));
        String shortLived = AccessTestSupport.jwt(AccessTestSupport.RSA,
                c -> c.expirationTime(Date.from(Instant.now().plusMillis(1500))));
        assertEquals("alpha", verifier.verify(shortLived, settings(jwks)).getClaim("tenant"));
        assertEquals("alpha", verifier.verify(shortLived, settings(jwks)).getClaim("tenant"), "remembered");
        Thread.sleep(2000);
        JwtVerifier.Rejected expired = assertThrows(JwtVerifier.Rejected.class,
                () -> verifier.verify(shortLived, settings(jwks)));
        assertTrue(expired.getMessage().toLowerCase().contains("expired"), expired.getMessage());
    }

    @Test
    void aRememberedTokenIsRefusedOnceItsKeyLeavesTheSet() throws Exception {
        Path jwks = dir.resolve("jwks.json");
        RSAKey next = AccessTestSupport.rsa("k2");
        JwksCache keys = keysFrom(jwks, AccessTestSupport.RSA);
        JwtVerifier verifier = new JwtVerifier(keys);
        String token = AccessTestSupport.jwt(AccessTestSupport.RSA);
        assertEquals("alpha", verifier.verify(token, settings(jwks)).getClaim("tenant"));
        Files.writeString(jwks, new JWKSet(next.toPublicJWK()).toString());
        Files.setLastModifiedTime(jwks, java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(5)));
        keys.refresh();
        assertThrows(JwtVerifier.Rejected.class, () -> verifier.verify(token, settings(jwks)));
    }
}
