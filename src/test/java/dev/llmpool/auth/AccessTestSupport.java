package dev.llmpool.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.BeforeEach;

import dev.llmpool.PoolTestSupport;

/**
 * The service with auth on and two tenants: {@code alpha} (API key {@link #ALPHA_KEY}, every task, admin) and
 * {@code beta} (API key {@link #BETA_KEY}, enrich_metadata only), and JWTs signed by {@link #RSA}, {@link #EC} or
 * {@link #ED} (the key set in {@code jwks.json} of the service's directory), issuer {@link #ISSUER}, audience
 * {@code llm-pool}, tenant in claim {@code tenant}, tasks narrowed by claim {@code tasks}.
 */
abstract class AccessTestSupport extends PoolTestSupport {

    static final String ALPHA_KEY = "lp_alpha-test-key-0123456789";
    static final String BETA_KEY = "lp_beta-test-key-9876543210";
    static final String ISSUER = "https://issuer.test";
    static final RSAKey RSA = rsa("k1");
    static final ECKey EC = ec("e1");
    static final OctetKeyPair ED = ed("ed1");
    /** One connection per request in flight: HTTP/2 (the JDK client's default) caps the streams of its one connection. */
    static final HttpClient HTTP_1_1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** Lines added to the access block (limits of a test). */
    protected String accessConfig() {
        return "";
    }

    @Override
    protected String extraConfig() {
        writeJwks(List.of(RSA, EC, ED));
        return """
                pool.limits.max-deadline-ms=20000
                pool.auth.enabled=true
                pool.tenants.alpha.api-key-sha256=%s
                pool.tenants.alpha.admin=true
                pool.tenants.beta.api-key-sha256=%s
                pool.tenants.beta.tasks=enrich_metadata
                pool.auth.jwt.jwks=file:%s
                pool.auth.jwt.issuer=%s
                pool.auth.jwt.audience=llm-pool
                pool.auth.jwt.tenant-claim=tenant
                pool.auth.jwt.tasks-claim=tasks
                """.formatted(ApiKeys.sha256Hex(ALPHA_KEY), ApiKeys.sha256Hex(BETA_KEY), jwksFile(), ISSUER)
                + accessConfig();
    }

    /** The first health check judged every provider (only an admin sees them with auth on). */
    @BeforeEach
    void awaitProvidersChecked() {
        boolean checked = eventually(Duration.ofSeconds(10), () -> {
            JsonNode providers = json(send(getRequest("/health", "Authorization", "Bearer " + ALPHA_KEY))).path("providers");
            if (providers.isEmpty()) {
                return false;
            }
            for (JsonNode p : providers) {
                if (p.path("status").asText().equals("UNKNOWN")) {
                    return false;
                }
            }
            return true;
        });
        if (!checked) {
            throw new IllegalStateException("the first health check did not complete");
        }
    }

    Path jwksFile() {
        return workDir.resolve("jwks.json");
    }

    /** Replaces the key set the way an operator should: write aside, then move. */
    void writeJwks(List<JWK> keys) {
        try {
            Path tmp = workDir.resolve("jwks.json.tmp");
            Files.writeString(tmp, new JWKSet(keys.stream().map(JWK::toPublicJWK).toList()).toString(), StandardCharsets.UTF_8);
            Files.move(tmp, jwksFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    HttpRequest.Builder request(String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30));
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    HttpRequest getRequest(String path, String... headers) {
        return request("GET", path, null, headers).build();
    }

    static HttpResponse<String> send(HttpClient client, HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> infer(String body, String... headers) {
        return send(request("POST", "/v1/infer", body, headers).build());
    }

    static String bearer(String credential) {
        return "Bearer " + credential;
    }

    static String body(String task, String prompt) {
        return "{\"task\":\"" + task + "\",\"prompt\":\"" + prompt + "\"}";
    }

    /** Valid claims for tenant alpha (issuer, audience, a minute to live); {@code edit} changes them. */
    static String jwt(JWK key, Consumer<JWTClaimsSet.Builder> edit) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience("llm-pool").subject("svc-1")
                .claim("tenant", "alpha").issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(60)));
        edit.accept(claims);
        try {
            JWSSigner signer;
            JWSAlgorithm alg;
            if (key instanceof RSAKey rsa) {
                signer = new RSASSASigner(rsa);
                alg = JWSAlgorithm.RS256;
            } else if (key instanceof ECKey ec) {
                signer = new ECDSASigner(ec);
                alg = JWSAlgorithm.ES256;
            } else {
                signer = new Ed25519Signer((OctetKeyPair) key);
                alg = JWSAlgorithm.EdDSA;
            }
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(key.getKeyID()).build(), claims.build());
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static String jwt(JWK key) {
        return jwt(key, c -> { });
    }

    /** An unsigned token ({@code alg: none}) with valid claims. */
    static String unsigned() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience("llm-pool").claim("tenant", "alpha")
                .expirationTime(Date.from(Instant.now().plusSeconds(60))).build().toString();
        return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + ".";
    }

    static RSAKey rsa(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static ECKey ec(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static OctetKeyPair ed(String kid) {
        try {
            return new OctetKeyPairGenerator(Curve.Ed25519).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
