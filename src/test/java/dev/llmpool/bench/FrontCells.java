package dev.llmpool.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.llmpool.auth.ApiKeys;

/**
 * The cells that measure what one request costs through a door or with an option on, at concurrency 1 against
 * the 0 ms backend: {@code doors} (the OpenAI and Ollama APIs against {@code /v1/infer} on the same service,
 * issue 22 target 5), {@code auth} (an API key and a JWT against auth off, issue 17), {@code log} (the access log
 * on against {@code pool.log.format=off}, issue 18) and {@code hedge} (issue 16: tokens the backends generated per
 * hedged FASTEST request, over the winner's).
 *
 * <p>An option needs a second service; both run at once and are measured in alternation, {@link #ROUNDS} times
 * each, so that the machine's drift during the cell falls on both sides alike.
 */
final class FrontCells {

    static final int ROUNDS = 2;
    private static final String API_KEY = "bench-key-0123456789abcdef";  // no dot: a dot makes it a JWT
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private final Bench b;

    FrontCells(Bench b) {
        this.b = b;
    }

    void run(int rep, Set<String> cells) throws Exception {
        int port = Bench.freePort();
        try (Service plain = Service.start(b.jar, b.work.resolve("front" + rep), b.config(port, false), b.serviceJvm,
                port, Bench.poolBody("fast0", false))) {
            System.out.printf("service (shipped configuration) up in %.0f ms%n", plain.startupMs);
            List<Bench.Load> loads = new ArrayList<>(List.of(infer(plain, Map.of())));
            if (cells.contains("doors")) {
                loads.add(new Bench.Load(url(plain, "/v1/chat/completions"), openAiBody("fast0", false), Map.of(), 1));
                loads.add(new Bench.Load(url(plain, "/api/chat"), ollamaBody("fast0", false), Map.of(), 1));
            }
            b.warmUp(plain, loads);
            if (cells.contains("doors")) {
                doors(plain);
            }
            if (cells.contains("hedge")) {
                hedge(plain);
            }
            if (cells.contains("auth")) {
                auth(plain, rep);
            }
            if (cells.contains("log")) {
                log(plain, rep);
            }
        }
    }

    /** The non-streamed chat of each API beside /v1/infer, same task (model fast0), same service. */
    private void doors(Service svc) throws Exception {
        for (int round = 1; round <= ROUNDS; round++) {
            Wrk.Result infer = b.load("pool /v1/infer", url(svc, "/v1/infer"), Bench.poolBody("fast0", false), 1);
            Wrk.Result openAi = b.load("pool OpenAI", url(svc, "/v1/chat/completions"), openAiBody("fast0", false), 1);
            Wrk.Result ollama = b.load("pool Ollama", url(svc, "/api/chat"), ollamaBody("fast0", false), 1);
            b.samples.add("doors.c1.infer_p50_ms", infer.p50());
            b.samples.add("doors.c1.openai_p50_ms", openAi.p50());
            b.samples.add("doors.c1.ollama_p50_ms", ollama.p50());
            b.samples.add("doors.c1.openai_added_p50_ms", openAi.p50() - infer.p50());
            b.samples.add("doors.c1.ollama_added_p50_ms", ollama.p50() - infer.p50());
            b.samples.add("doors.c1.errors", infer.errors() + openAi.errors() + ollama.errors());
        }
    }

    /** Auth on (a tenant with an API key, and JWTs signed by a key of a file key set) against the plain service. */
    private void auth(Service plain, int rep) throws Exception {
        Path dir = b.work.resolve("auth" + rep);
        Files.createDirectories(dir);
        RSAKey key = new RSAKeyGenerator(2048).keyID("bench").generate();
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
        String config = "pool.auth.enabled=true\n"
                + "pool.tenants.bench.api-key-sha256=" + ApiKeys.sha256Hex(API_KEY) + "\n"
                + "pool.auth.jwt.jwks=file:" + jwks.toAbsolutePath() + "\n";
        Map<String, String> withKey = Map.of("Authorization", "Bearer " + API_KEY);
        Map<String, String> withJwt = Map.of("Authorization", "Bearer " + jwt(key));
        int port = Bench.freePort();
        try (Service auth = Service.start(b.jar, dir, b.config(port, false, config), b.serviceJvm, port,
                Bench.poolBody("fast0", false), withKey)) {
            System.out.printf("service (auth on) up in %.0f ms%n", auth.startupMs);
            b.warmUp(auth, List.of(infer(auth, withKey), infer(auth, withJwt)));
            for (int round = 1; round <= ROUNDS; round++) {
                Wrk.Result off = b.load("pool, auth off", url(plain, "/v1/infer"), Bench.poolBody("fast0", false), 1);
                Wrk.Result apiKey = b.load("pool, API key", url(auth, "/v1/infer"), Bench.poolBody("fast0", false),
                        withKey, 1);
                Wrk.Result token = b.load("pool, JWT (RS256)", url(auth, "/v1/infer"), Bench.poolBody("fast0", false),
                        withJwt, 1);
                b.samples.add("auth.c1.off_p50_ms", off.p50());
                b.samples.add("auth.c1.key_p50_ms", apiKey.p50());
                b.samples.add("auth.c1.jwt_p50_ms", token.p50());
                b.samples.add("auth.c1.key_added_p50_ms", apiKey.p50() - off.p50());
                b.samples.add("auth.c1.jwt_added_p50_ms", token.p50() - off.p50());
                b.samples.add("auth.c1.errors", apiKey.errors() + token.errors());
            }
        }
    }

    /** A JWT for tenant bench, valid for the whole run. */
    private static String jwt(RSAKey key) throws JOSEException {
        Instant now = Instant.now();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                new JWTClaimsSet.Builder().subject("bench").claim("tenant", "bench").issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plus(Duration.ofHours(6)))).build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    /** The plain service (the shipped access log, kv) against one with pool.log.format=off. */
    private void log(Service plain, int rep) throws Exception {
        int port = Bench.freePort();
        try (Service quiet = Service.start(b.jar, b.work.resolve("logoff" + rep),
                b.config(port, false, "pool.log.format=off\n"), b.serviceJvm, port, Bench.poolBody("fast0", false))) {
            System.out.printf("service (access log off) up in %.0f ms%n", quiet.startupMs);
            b.warmUp(quiet, List.of(infer(quiet, Map.of())));
            for (int round = 1; round <= ROUNDS; round++) {
                Wrk.Result on = b.load("pool, access log on", url(plain, "/v1/infer"), Bench.poolBody("fast0", false), 1);
                Wrk.Result off = b.load("pool, access log off", url(quiet, "/v1/infer"),
                        Bench.poolBody("fast0", false), 1);
                b.samples.add("log.c1.on_p50_ms", on.p50());
                b.samples.add("log.c1.off_p50_ms", off.p50());
                b.samples.add("log.c1.added_p50_ms", on.p50() - off.p50());
                b.samples.add("log.c1.errors", on.errors() + off.errors());
            }
        }
    }

    /**
     * FASTEST over an engine slow to start and a fast one, hedged after {@link Bench#HEDGE_AFTER_MS}: one request at a
     * time for the cell's seconds, then the tokens both engines generated (their counters, read after the slow
     * one would have finished) over the tokens of the answers. A loser that is not cancelled generates its whole
     * answer, which doubles the figure.
     */
    private void hedge(Service svc) throws Exception {
        long before = tokens(b.backendHedgeSlow) + tokens(b.backendHedgeFast);
        HttpRequest request = HttpRequest.newBuilder(URI.create(url(svc, "/v1/infer")))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(Bench.poolBody(Bench.HEDGE_TASK, false))).build();
        long answered = 0;
        long winnerTokens = 0;
        long errors = 0;
        long hedged = 0;
        long end = System.nanoTime() + Duration.ofSeconds(b.mode.cellSeconds()).toNanos();
        while (System.nanoTime() < end) {
            HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                answered++;
                winnerTokens += count(r.body(), FastBackend.TOKEN);
                hedged += r.body().contains("\"hedged\":true") ? 1 : 0;
            } else {
                errors++;
            }
        }
        // an uncancelled loser is still generating: wait until it would have ended, so that it is counted
        Thread.sleep(Bench.HEDGE_SLOW_START_MS + 16 * Bench.TOKEN_MS + 500);
        long generated = tokens(b.backendHedgeSlow) + tokens(b.backendHedgeFast) - before;
        double ratio = winnerTokens == 0 ? Double.NaN : (double) generated / winnerTokens;
        b.samples.add("hedge.c1.tokens_ratio", ratio);
        b.samples.add("hedge.c1.requests", answered);
        b.samples.add("hedge.c1.hedged", hedged);
        b.samples.add("hedge.c1.errors", errors);
        System.out.printf("  %-26s c=1    %d answers (%d hedged), %d errors; tokens generated %d over the answers' %d"
                + " = %.2f%n", "pool FASTEST, hedged", answered, hedged, errors, generated, winnerTokens, ratio);
    }

    private static long tokens(int port) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/bench/tokens"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        return Long.parseLong(HTTP.send(r, HttpResponse.BodyHandlers.ofString()).body().trim());
    }

    private static long count(String text, String token) {
        long n = 0;
        for (int at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + token.length())) {
            n++;
        }
        return n;
    }

    private static Bench.Load infer(Service svc, Map<String, String> headers) {
        return new Bench.Load(url(svc, "/v1/infer"), Bench.poolBody("fast0", false), headers, 1);
    }

    static String url(Service svc, String path) {
        return "http://127.0.0.1:" + svc.port + path;
    }

    /** An OpenAI chat completion naming a task as its model; cache off, as every task-API request sends it. */
    static String openAiBody(String task, boolean stream) {
        return "{\"model\":\"" + task + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + Bench.PROMPT + "\"}],"
                + "\"stream\":" + stream + ",\"max_tokens\":" + (stream ? StreamCells.STREAM_TOKENS : 16)
                + ",\"cache\":false}";
    }

    /** An Ollama chat naming a task as its model; cache off. */
    static String ollamaBody(String task, boolean stream) {
        return "{\"model\":\"" + task + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + Bench.PROMPT + "\"}],"
                + "\"stream\":" + stream + ",\"options\":{\"num_predict\":" + (stream ? StreamCells.STREAM_TOKENS : 16)
                + "},\"cache\":false}";
    }
}
