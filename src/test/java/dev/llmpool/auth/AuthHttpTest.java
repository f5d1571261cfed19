package dev.llmpool.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;

/**
 * The access matrix on POST /v1/infer (and /health, /metrics) with auth on: API keys, JWTs good and bad, tenants'
 * tasks, per-tenant caches and Idempotency-Keys, credentials kept away from backends, bodies and metrics.
 */
class AuthHttpTest extends AccessTestSupport {

    private static final String ASK = body("enrich_metadata", "who am i");

    private void assertUnauthenticated(HttpResponse<String> r) {
        assertEquals(401, r.statusCode(), r.body());
        assertEquals("Bearer", r.headers().firstValue("WWW-Authenticate").orElse(null));
        JsonNode body = json(r);
        assertEquals("unauthenticated", body.path("error").path("code").asText());
        assertFalse(body.path("request_id").asText().isEmpty());
        assertEquals(0, A.calls("phi3:mini"), "no backend is called for a refused request");
    }

    @Test
    void noCredentialIs401WithAChallenge() {
        assertUnauthenticated(infer(ASK));
    }

    @Test
    void aWrongKeyIs401() {
        assertUnauthenticated(infer(ASK, "Authorization", bearer("lp_not-a-key")));
        assertUnauthenticated(infer(ASK, "x-api-key", "lp_not-a-key"));
        assertUnauthenticated(infer(ASK, "Authorization", "Basic " + ALPHA_KEY));  // a key, but not as a bearer
    }

    @Test
    void theRightKeyAnswersAsEver() {
        HttpResponse<String> r = infer(ASK, "Authorization", bearer(ALPHA_KEY));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("phi3 says hello", json(r).path("content").asText());
        HttpResponse<String> byHeader = infer(body("enrich_metadata", "by x-api-key"), "x-api-key", BETA_KEY);
        assertEquals(200, byHeader.statusCode(), byHeader.body());
    }

    @Test
    void aTenantWithoutTheTaskIs403() {
        HttpResponse<String> r = infer(body("expand_queries", "not mine"), "Authorization", bearer(BETA_KEY));
        assertEquals(403, r.statusCode(), r.body());
        assertEquals("forbidden", json(r).path("error").path("code").asText());
        assertEquals(0, A.calls("phi3:mini") + B.calls("llama3.1:8b"));
    }

    @Test
    void jwtsSignedWithRs256Es256AndEdDsaAreAccepted() {
        for (var key : List.of(RSA, EC, ED)) {
            HttpResponse<String> r = infer(body("enrich_metadata", "jwt " + key.getKeyID()), "Authorization",
                    bearer(jwt(key)));
            assertEquals(200, r.statusCode(), key.getKeyID() + ": " + r.body());
        }
    }

    @Test
    void badTokensAre401() {
        var impostor = rsa("k1");  // the trusted key's id, another key
        assertUnauthenticated(infer(ASK, "Authorization", bearer(jwt(impostor))));
        assertUnauthenticated(infer(ASK, "Authorization", bearer(jwt(rsa("unknown")))));
        assertUnauthenticated(infer(ASK, "Authorization", bearer(unsigned())));
        assertUnauthenticated(infer(ASK, "Authorization", bearer(hmacWithThePublicKey())));
        Instant now = Instant.now();
        assertUnauthenticated(infer(ASK, "Authorization", bearer(jwt(RSA, c -> c.expirationTime(Date.from(now.minusSeconds(120)))))));
        assertUnauthenticated(infer(ASK, "Authorization", bearer(jwt(RSA, c -> c.notBeforeTime(Date.from(now.plusSeconds(120)))))));
        assertUnauthenticated(infer(ASK, "Authorization", bearer(jwt(RSA, c -> c.issuer("https://evil.test")))));
        assertUnauthenticated(infer(ASK, "Authorization", bearer(jwt(RSA, c -> c.audience("another-service")))));
        assertUnauthenticated(infer(ASK, "Authorization", bearer(jwt(RSA, c -> c.expirationTime(null)))));
        assertUnauthenticated(infer(ASK, "Authorization", bearer(jwt(RSA, c -> c.claim("tenant", "nobody")))));
    }

    @Test
    void aSmallClockSkewIsTolerated() {
        Instant now = Instant.now();
        HttpResponse<String> r = infer(ASK, "Authorization", bearer(jwt(RSA, c -> c.expirationTime(Date.from(now.minusSeconds(5))))));
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void theTasksClaimNarrowsTheTenantsTasks() {
        String onlyEnrich = jwt(RSA, c -> c.claim("tasks", List.of("enrich_metadata")));
        assertEquals(200, infer(ASK, "Authorization", bearer(onlyEnrich)).statusCode());
        HttpResponse<String> r = infer(body("expand_queries", "narrowed"), "Authorization", bearer(onlyEnrich));
        assertEquals(403, r.statusCode(), r.body());
        String betaToken = jwt(RSA, c -> c.claim("tenant", "beta").claim("tasks", "enrich_metadata expand_queries"));
        assertEquals(403, infer(body("expand_queries", "widened"), "Authorization", bearer(betaToken)).statusCode(),
                "a token cannot widen its tenant's tasks");
    }

    @Test
    void aRotatedKeySetIsPickedUpWhileRunning() {
        var next = rsa("k2");
        String oldToken = jwt(RSA);
        String newToken = jwt(next);
        assertUnauthenticated(infer(ASK, "Authorization", bearer(newToken)));
        writeJwks(List.of(next, EC, ED));
        assertTrue(eventually(Duration.ofSeconds(10), () -> infer(body("enrich_metadata", "rotated"), "Authorization",
                bearer(newToken)).statusCode() == 200), "the new key is trusted without a restart");
        assertTrue(eventually(Duration.ofSeconds(10), () -> infer(body("enrich_metadata", "old"), "Authorization",
                bearer(oldToken)).statusCode() == 401), "the removed key is no longer trusted");
    }

    @Test
    void oneTenantsCachedAnswerIsNeverAnothers() {
        String same = body("enrich_metadata", "the same question");
        HttpResponse<String> a1 = infer(same, "Authorization", bearer(ALPHA_KEY));
        HttpResponse<String> a2 = infer(same, "Authorization", bearer(ALPHA_KEY));
        assertTrue(json(a2).path("from_cache").asBoolean(), "alpha's repeat is a cache hit: " + a2.body());
        HttpResponse<String> b1 = infer(same, "Authorization", bearer(BETA_KEY));
        assertEquals(200, b1.statusCode(), b1.body());
        assertFalse(json(b1).path("from_cache").asBoolean(true), "beta never gets alpha's cached answer");
        assertEquals(2, A.calls("phi3:mini"));
        assertEquals(200, a1.statusCode());
        assertUnauthenticated401EvenForAnExactRepeat(same);
    }

    /** An exact repeat of a cached request is not answered before authentication (ExactRepeats). */
    private void assertUnauthenticated401EvenForAnExactRepeat(String cachedBody) {
        HttpResponse<String> r = infer(cachedBody);
        assertEquals(401, r.statusCode(), r.body());
    }

    @Test
    void theSameIdempotencyKeyFromTwoTenantsDoesNotCollide() {
        String req = "{\"task\":\"enrich_metadata\",\"prompt\":\"pay\",\"cache\":false}";
        HttpResponse<String> a = infer(req, "Authorization", bearer(ALPHA_KEY), "Idempotency-Key", "order-1");
        HttpResponse<String> b = infer(req, "Authorization", bearer(BETA_KEY), "Idempotency-Key", "order-1");
        assertEquals(200, a.statusCode(), a.body());
        assertEquals(200, b.statusCode(), b.body());
        assertNotEquals(json(a).path("request_id"), json(b).path("request_id"), "beta's request is not alpha's replay");
        assertEquals(2, A.calls("phi3:mini"));
        HttpResponse<String> otherBody = infer(body("enrich_metadata", "different"), "Authorization", bearer(BETA_KEY),
                "Idempotency-Key", "order-1");
        assertEquals(409, otherBody.statusCode(), "within one tenant the key still binds its body");
        HttpResponse<String> replay = infer(req, "Authorization", bearer(ALPHA_KEY), "Idempotency-Key", "order-1");
        assertEquals(a.body(), replay.body());
    }

    @Test
    void credentialsNeverReachALog() {
        String token = jwt(RSA);
        String expired = jwt(RSA, c -> c.expirationTime(new Date(0)));
        try (LogCapture log = LogCapture.open()) {
            infer(ASK, "Authorization", bearer(ALPHA_KEY));
            infer(ASK, "Authorization", bearer(ALPHA_KEY + "x"));
            infer(ASK, "Authorization", bearer(token));
            infer(ASK, "Authorization", bearer(expired));
            infer(body("expand_queries", "forbidden"), "x-api-key", BETA_KEY);
            send(getRequest("/metrics", "x-api-key", BETA_KEY));
            assertTrue(log.text().contains("event=request_failed"), "the refusals are logged: " + log.text());
            for (String secret : List.of(ALPHA_KEY, BETA_KEY, token, expired)) {
                assertCredentialFree(log.text(), secret);
            }
        }
    }

    @Test
    void credentialsNeverReachABackendAnErrorBodyOrAMetric() {
        String token = jwt(RSA);
        assertEquals(200, infer(ASK, "Authorization", bearer(ALPHA_KEY)).statusCode());
        assertCredentialFree(A.lastHeaders("phi3:mini").toString(), ALPHA_KEY);
        assertFalse(A.lastHeaders("phi3:mini").containsKey("authorization"));
        assertEquals(200, infer(body("enrich_metadata", "by key header"), "x-api-key", BETA_KEY).statusCode());
        assertFalse(A.lastHeaders("phi3:mini").containsKey("x-api-key"));
        assertEquals(200, infer(body("enrich_metadata", "by jwt"), "Authorization", bearer(token)).statusCode());
        assertCredentialFree(A.lastHeaders("phi3:mini").toString() + A.lastRequest("phi3:mini"), token);

        HttpResponse<String> refused = infer(ASK, "Authorization", bearer(ALPHA_KEY + "x"));
        assertCredentialFree(refused.body() + refused.headers().map(), ALPHA_KEY);
        HttpResponse<String> expired = infer(ASK, "Authorization", bearer(jwt(RSA, c -> c.expirationTime(new Date(0)))));
        assertEquals(401, expired.statusCode());
        assertFalse(expired.body().contains("eyJ"), expired.body());
        HttpResponse<String> ok = infer(body("enrich_metadata", "echo?"), "Authorization", bearer(ALPHA_KEY));
        assertCredentialFree(ok.headers().map().toString(), ALPHA_KEY);
        String metrics = send(getRequest("/metrics", "Authorization", bearer(ALPHA_KEY))).body();
        assertCredentialFree(metrics, ALPHA_KEY);
        assertCredentialFree(metrics, BETA_KEY);
        assertCredentialFree(metrics, token);
    }

    private static void assertCredentialFree(String text, String credential) {
        assertFalse(text.contains(credential), "the credential appears in: " + text);
    }

    @Test
    void healthShowsTheStatusToAnyoneAndTheReportToAnAdmin() {
        HttpResponse<String> anyone = send(getRequest("/health"));
        assertEquals(200, anyone.statusCode());
        assertEquals(List.of("status"), fieldNames(json(anyone)));
        HttpResponse<String> beta = send(getRequest("/health", "Authorization", bearer(BETA_KEY)));
        assertEquals(List.of("status"), fieldNames(json(beta)), "beta is no admin");
        HttpResponse<String> alpha = send(getRequest("/health", "Authorization", bearer(ALPHA_KEY)));
        assertEquals(3, json(alpha).path("providers").size(), alpha.body());
        assertTrue(alpha.body().contains(A.url()));
    }

    @Test
    void metricsNeedAnAdmin() {
        HttpResponse<String> anyone = send(getRequest("/metrics"));
        assertEquals(401, anyone.statusCode(), anyone.body());
        assertEquals("Bearer", anyone.headers().firstValue("WWW-Authenticate").orElse(null));
        assertEquals(403, send(getRequest("/metrics", "Authorization", bearer(BETA_KEY))).statusCode());
        assertEquals(200, infer(ASK, "x-api-key", ALPHA_KEY).statusCode());
        HttpResponse<String> admin = send(getRequest("/metrics", "x-api-key", ALPHA_KEY));
        assertEquals(200, admin.statusCode());
        assertTrue(admin.body().contains("llmpool_requests_seconds_count{"), admin.body());
    }

    @Test
    void badCredentialsGetAClearError() {
        // 64 KB: beyond the HTTP server's header limit (8 KB), refused before any route with 431; the service carries on
        HttpResponse<String> huge = send(HTTP_1_1, request("POST", "/v1/infer", ASK, "Authorization",
                bearer("x".repeat(64 * 1024))).build());
        assertEquals(431, huge.statusCode(), huge.body());
        assertUnauthenticated(infer(ASK, "Authorization", bearer("y".repeat(6000))));  // long, under the server's limit
        String nonAscii = new String("Bearer cl\u00e9-\u00fc".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        assertUnauthenticated(infer(ASK, "Authorization", nonAscii));
        assertUnauthenticated(infer(ASK, "Authorization", bearer("a.b.c.d.e.f.g.h.i.j")));
        assertUnauthenticated(infer(ASK, "Authorization", bearer(jwt(RSA) + ".extra.segments")));
        assertUnauthenticated(infer(ASK, "Authorization", "Bearer "));
        assertEquals(200, infer(ASK, "Authorization", bearer(ALPHA_KEY)).statusCode(), "still serving");
    }

    @Test
    void theOpenAiAndOllamaDoorsAuthenticateTooInTheirShapes() {
        String chat = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]%s}";
        HttpResponse<String> anonymous = send(request("POST", "/v1/chat/completions", chat.formatted("enrich_metadata", ""))
                .build());
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        assertEquals("authentication_error", json(anonymous).path("error").path("type").asText(), anonymous.body());
        assertEquals("Bearer", anonymous.headers().firstValue("WWW-Authenticate").orElse(null));
        HttpResponse<String> notTheirs = send(request("POST", "/v1/chat/completions", chat.formatted("expand_queries", ""),
                "Authorization", bearer(BETA_KEY)).build());
        assertEquals(403, notTheirs.statusCode(), notTheirs.body());
        assertEquals("permission_error", json(notTheirs).path("error").path("type").asText());
        HttpResponse<String> theirs = send(request("POST", "/v1/chat/completions", chat.formatted("enrich_metadata", ""),
                "Authorization", bearer(BETA_KEY)).build());
        assertEquals(200, theirs.statusCode(), theirs.body());

        assertEquals(401, send(getRequest("/v1/models")).statusCode());
        JsonNode models = json(send(getRequest("/v1/models", "Authorization", bearer(BETA_KEY)))).path("data");
        assertEquals(1, models.size(), models.toString());
        assertEquals("enrich_metadata", models.get(0).path("id").asText());
        assertTrue(json(send(getRequest("/v1/models", "x-api-key", ALPHA_KEY))).path("data").size() > 6, "alpha sees all");

        HttpResponse<String> ollama = send(request("POST", "/api/chat", chat.formatted("expand_queries", ",\"stream\":false"),
                "Authorization", bearer(BETA_KEY)).build());
        assertEquals(403, ollama.statusCode(), ollama.body());
        assertTrue(json(ollama).path("error").isTextual(), "Ollama's shape: " + ollama.body());
        JsonNode tags = json(send(getRequest("/api/tags", "Authorization", bearer(BETA_KEY)))).path("models");
        assertEquals(1, tags.size(), tags.toString());
        assertEquals("enrich_metadata:latest", tags.get(0).path("name").asText());
    }

    @Test
    void aRouteWithoutCallerCredentialsNamesItsTenant() throws Exception {
        // a lambda, not a RouteBuilder subclass: camel-main would find that in the package and start it in every test
        org.apache.camel.builder.RouteBuilder.addRoutes(context, rb -> {
            rb.from("direct:queue-door").setProperty("llmpool.tenant", rb.constant("beta")).to("direct:infer");
            rb.from("direct:queue-door-unknown").setProperty("llmpool.tenant", rb.constant("nobody")).to("direct:infer");
        });
        var template = context.createProducerTemplate();
        java.util.function.BiFunction<String, String, Integer> status = (uri, json) -> template.request(uri, e -> {
            e.getIn().setBody(json.getBytes(StandardCharsets.UTF_8));
            e.getIn().setHeader("Content-Type", "application/json");
        }).getMessage().getHeader("CamelHttpResponseCode", Integer.class);
        assertEquals(200, status.apply("direct:queue-door", body("enrich_metadata", "from a queue")));
        assertEquals(403, status.apply("direct:queue-door", body("expand_queries", "from a queue")), "beta's tasks apply");
        assertEquals(401, status.apply("direct:queue-door-unknown", body("enrich_metadata", "from a queue")));
    }

    private static String hmacWithThePublicKey() {
        try {
            byte[] secret = RSA.toRSAPublicKey().getEncoded();  // what a verifier confused about key types would use
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(),
                    new JWTClaimsSet.Builder().issuer(ISSUER).audience("llm-pool").claim("tenant", "alpha")
                            .expirationTime(Date.from(Instant.now().plusSeconds(60))).build());
            jwt.sign(new MACSigner(secret));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
