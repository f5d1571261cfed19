package dev.llmpool.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A key set from a URL: fetched in the background and served from memory. A URL that accepts the connection and
 * never answers holds no request: JWTs are refused at once (no key yet) while API keys work as ever; pointing the
 * configuration at a URL that answers makes JWTs valid without a restart.
 */
class JwksUrlTest extends AccessTestSupport {

    /** Accepts connections and never says a word. */
    private static final ServerSocket HANGING = hanging();
    private static final List<Socket> HELD = new CopyOnWriteArrayList<>();
    private static final HttpServer SERVED = served(List.of(RSA, EC, ED));

    @AfterAll
    static void stopServers() throws IOException {
        HANGING.close();
        for (Socket s : HELD) {
            s.close();
        }
        SERVED.stop(0);
    }

    @Override
    protected String accessConfig() {
        return jwksUrl("http://127.0.0.1:" + HANGING.getLocalPort() + "/jwks.json");
    }

    private static String jwksUrl(String url) {
        return "pool.auth.jwt.jwks=" + url + "\npool.auth.jwt.jwks-timeout-ms=60000\n";
    }

    @Test
    void aHangingKeySetUrlHoldsNoRequest() {
        assertTrue(eventually(Duration.ofSeconds(10), () -> !HELD.isEmpty()), "the pool is fetching from the hanging URL");
        long started = System.nanoTime();
        HttpResponse<String> r = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"jwt\",\"deadline_ms\":3000}",
                "Authorization", bearer(jwt(RSA)));
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertEquals(401, r.statusCode(), r.body());
        assertTrue(tookMs < 3000, "answered within its deadline of 3000 ms, took " + tookMs);
        assertEquals(200, infer(body("enrich_metadata", "key"), "Authorization", bearer(ALPHA_KEY)).statusCode(),
                "API keys are unaffected");
    }

    @Test
    void aKeySetUrlThatAnswersIsUsedAfterAReload() throws IOException {
        writeConfig(shippedConfig() + "\n" + extraConfig().replace(accessConfig(), "")
                + jwksUrl("http://127.0.0.1:" + SERVED.getAddress().getPort() + "/jwks.json"));
        assertTrue(eventually(Duration.ofSeconds(15), () -> {
            closeHeld();  // a fetch hanging on the old URL ends (else it holds the refresher for its jwks-timeout-ms)
            return infer(body("enrich_metadata", "jwt"), "Authorization", bearer(jwt(EC))).statusCode() == 200;
        }), "JWTs verify once the key set is fetched");
    }

    private static void closeHeld() {
        for (Socket s : HELD) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closed already
            }
            HELD.remove(s);
        }
    }

    private static ServerSocket hanging() {
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread accept = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        HELD.add(server.accept());
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "hanging-jwks");
            accept.setDaemon(true);
            accept.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static HttpServer served(List<JWK> keys) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            byte[] body = new JWKSet(keys.stream().map(JWK::toPublicJWK).toList()).toString().getBytes(StandardCharsets.UTF_8);
            server.createContext("/jwks.json", ex -> {
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
