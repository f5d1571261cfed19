package dev.llmpool.auth;

import java.text.ParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

/**
 * Verifies a JWT with nimbus-jose-jwt against the cached key set ({@link JwksCache}): a signature by one of its keys
 * with RS256, ES256 or EdDSA only (so {@code alg: none} and HMAC signed with a public key as secret are refused
 * whatever the token says), {@code exp} required, {@code exp}/{@code nbf} with {@code clock-skew-seconds} of
 * tolerance, {@code iss} and {@code aud} when configured, and the tenant claim present.
 */
public final class JwtVerifier {

    /** At most this many characters of verified tokens are remembered (a token is typically under 2,000). */
    private static final long VERIFIED_MAX_CHARS = 4L * 1024 * 1024;
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256, JWSAlgorithm.EdDSA);

    /** Thrown for any token that does not verify; its message is safe to show (it never contains the token). */
    public static final class Rejected extends Exception {
        Rejected(String message) {
            super(message, null, false, false);
        }
    }

    /** The processor for one configuration snapshot's settings (rebuilt when they change). */
    private record Processor(AccessConfig.Jwt settings, DefaultJWTProcessor<SecurityContext> jwt,
                             DefaultJWTClaimsVerifier<SecurityContext> claims) {
    }

    /**
     * A token whose signature was checked, with the settings and key set it was checked against: another snapshot of
     * either checks it again (a rotated-out key no longer admits it).
     */
    private record Verified(JWTClaimsSet claims, Processor processor, JWKSet keys) {
    }

    private final JwksCache keys;
    private volatile Processor processor;
    /**
     * Tokens seen verified, keyed by the whole token (signature included, so only the very same token hits): a client
     * sends one token with many requests, and its signature need not be checked each time. Bounded by characters.
     */
    private final Cache<String, Verified> verified = Caffeine.newBuilder()
            .maximumWeight(VERIFIED_MAX_CHARS).weigher((String token, Verified v) -> token.length()).build();

    public JwtVerifier(JwksCache keys) {
        this.keys = keys;
    }

    public JWTClaimsSet verify(String token, AccessConfig.Jwt settings) throws Rejected {
        Processor p = processor(settings);
        JWKSet keySet = keys.keys();
        Verified seen = verified.getIfPresent(token);
        if (seen != null && seen.processor() == p && seen.keys() == keySet) {
            try {
                p.claims().verify(seen.claims(), null); // exp, nbf, iss, aud again: a cached token still expires
                return seen.claims();
            } catch (BadJOSEException e) {
                verified.invalidate(token);
                throw rejected(e);
            }
        }
        JWTClaimsSet claims = check(token, p);
        verified.put(token, new Verified(claims, p, keySet));
        return claims;
    }

    private JWTClaimsSet check(String token, Processor p) throws Rejected {
        try {
            SignedJWT jwt = SignedJWT.parse(token);  // an unsigned token (alg: none) is no SignedJWT: refused here
            if (JWSAlgorithm.EdDSA.equals(jwt.getHeader().getAlgorithm())) {
                return verifyEdDsa(jwt, p);
            }
            return p.jwt().process(jwt, null);
        } catch (ParseException e) {
            throw new Rejected("malformed token");
        } catch (BadJOSEException e) {
            if (String.valueOf(e.getMessage()).contains("no matching key")) {
                keys.unknownKeySeen();
                throw new Rejected("token not signed by a trusted key with RS256, ES256 or EdDSA");
            }
            throw rejected(e);
        } catch (JOSEException e) {
            throw new Rejected("token signature cannot be verified");
        }
    }

    private static Rejected rejected(BadJOSEException e) {
        String message = String.valueOf(e.getMessage());
        return new Rejected(message.length() > 200 ? message.substring(0, 200) : message);
    }

    /**
     * EdDSA by hand: nimbus's key selector hands its processor {@code java.security} keys, and an Ed25519 JWK is not
     * converted to one, so the processor never finds the key. The same checks: a trusted key with that id and curve
     * signed it, then the same claims rules.
     */
    private JWTClaimsSet verifyEdDsa(SignedJWT jwt, Processor p)
            throws JOSEException, ParseException, BadJOSEException, Rejected {
        p.jwt().getJWSTypeVerifier().verify(jwt.getHeader().getType(), null);
        List<JWK> candidates = new JWKSelector(JWKMatcher.forJWSHeader(jwt.getHeader())).select(keys.keys());
        for (JWK key : candidates) {
            if (key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())
                    && jwt.verify(new Ed25519Verifier(okp.toPublicJWK()))) {
                JWTClaimsSet set = jwt.getJWTClaimsSet();
                p.claims().verify(set, null);
                return set;
            }
        }
        if (candidates.isEmpty()) {
            keys.unknownKeySeen();
        }
        throw new Rejected("token not signed by a trusted key with RS256, ES256 or EdDSA");
    }

    private Processor processor(AccessConfig.Jwt settings) {
        Processor p = processor;
        if (p == null || !p.settings().equals(settings)) {
            DefaultJWTProcessor<SecurityContext> jwt = new DefaultJWTProcessor<>();
            // typ: none, JWT, or at+jwt (OAuth 2.0 access tokens, RFC 9068)
            jwt.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null));
            jwt.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, (selector, ctx) -> selector.select(keys.keys())));
            JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
            if (settings.issuer() != null) {
                exact.issuer(settings.issuer());
            }
            Set<String> required = new HashSet<>(Set.of("exp", settings.tenantClaim()));
            DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(settings.audience(),
                    exact.build(), required);
            claims.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, settings.clockSkewSeconds()));
            jwt.setJWTClaimsSetVerifier(claims);
            p = new Processor(settings, jwt, claims);
            processor = p;
        }
        return p;
    }
}
