package dev.llmpool.auth;

import java.text.ParseException;
import java.util.HashSet;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

/**
 * Verifies a JWT with nimbus-jose-jwt against the cached key set ({@link JwksCache}): a signature by one of its keys
 * with RS256, ES256 or EdDSA only (so {@code alg: none} and HMAC signed with a public key as secret are refused
 * whatever the token says), {@code exp} required, {@code exp}/{@code nbf} with {@code clock-skew-seconds} of
 * tolerance, {@code iss} and {@code aud} when configured, and the tenant claim present.
 */
public final class JwtVerifier {

    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256, JWSAlgorithm.EdDSA);

    /** Thrown for any token that does not verify; its message is safe to show (it never contains the token). */
    public static final class Rejected extends Exception {
        Rejected(String message) {
            super(message, null, false, false);
        }
    }

    /** The processor for one configuration snapshot's settings (rebuilt when they change). */
    private record Processor(AccessConfig.Jwt settings, DefaultJWTProcessor<SecurityContext> jwt) {
    }

    private final JwksCache keys;
    private volatile Processor processor;

    public JwtVerifier(JwksCache keys) {
        this.keys = keys;
    }

    public JWTClaimsSet verify(String token, AccessConfig.Jwt settings) throws Rejected {
        try {
            return processor(settings).process(token, null);
        } catch (ParseException e) {
            throw new Rejected("malformed token");
        } catch (BadJOSEException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("no matching key")) {
                keys.unknownKeySeen();
                throw new Rejected("token not signed by a trusted key with RS256, ES256 or EdDSA");
            }
            throw new Rejected(message.length() > 200 ? message.substring(0, 200) : message);
        } catch (JOSEException e) {
            throw new Rejected("token signature cannot be verified");
        }
    }

    private DefaultJWTProcessor<SecurityContext> processor(AccessConfig.Jwt settings) {
        Processor p = processor;
        if (p == null || !p.settings().equals(settings)) {
            DefaultJWTProcessor<SecurityContext> jwt = new DefaultJWTProcessor<>();
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
            p = new Processor(settings, jwt);
            processor = p;
        }
        return p.jwt();
    }
}
