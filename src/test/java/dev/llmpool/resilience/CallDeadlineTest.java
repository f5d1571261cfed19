package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.llmpool.config.ConfigStore;

/**
 * The remaining budget bounds every backend call as a whole (connect, headers, body), not each wait: a backend
 * that never completes the connect, or trickles its body byte by byte, is cut off at the request's deadline,
 * although the configured connect timeout here is 20 s and each read of the trickle gets a byte within 100 ms.
 */
class CallDeadlineTest extends ResilienceTestSupport {

    private static final TrickleServer TRICKLE = trickle();

    private static TrickleServer trickle() {
        try {
            return new TrickleServer("slowpoke:latest", 15_000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.http.connect-timeout-ms", "20000");
        return p;
    }

    @Override
    protected String extraConfig() {
        return """
                pool.providers.phi3.breaker.minimum-calls=1
                pool.providers.phi3.breaker.sliding-window-size=1
                pool.providers.trickle.url=%s
                pool.providers.trickle.model=slowpoke
                pool.tasks.trickle_only.providers=trickle
                pool.tasks.trickle_only.prompt=prompts/expand_queries.md
                """.formatted(TRICKLE.url());
    }

    @Test
    void aBodyTrickledByteByByteIsCutAtTheDeadline() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = infer("trickle_only", ",\"deadline_ms\":800");
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(TRICKLE.chatStarted.await(1, TimeUnit.SECONDS), "the backend was called");
        assertTrue(TRICKLE.closedByClient.await(10, TimeUnit.SECONDS), "the pool hung up on the trickling backend");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 10_000, "cut near the 800 ms deadline, not after the 15 s trickle: " + ms + " ms");
    }

    @Test
    void aConnectThatNeverCompletesIsCutAtTheDeadline() throws Exception {
        try (ServerSocket blackhole = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> filler = fillAcceptQueue(blackhole);
            String url = "http://127.0.0.1:" + blackhole.getLocalPort();
            writeConfig(Files.readString(configFile).replace("pool.providers.phi3.url=" + A.url(),
                    "pool.providers.phi3.url=" + url));
            ConfigStore store = context.getRegistry().lookupByNameAndType("configStore", ConfigStore.class);
            assertTrue(eventually(Duration.ofSeconds(10), () -> store.current().provider("phi3").url().equals(url)));

            long t0 = System.nanoTime();
            HttpResponse<String> r = infer("enrich_metadata", ",\"deadline_ms\":800");
            assertEquals(504, r.statusCode(), r.body());
            awaitCircuit("phi3", "OPEN"); // its one failed call opens it: that call has ended
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 10_000, "the connect was cut near the 800 ms deadline, not at 20 s: " + ms + " ms");
            assertEquals("timed out", provider(health(), "phi3").path("last_error").asText());
            for (Socket s : filler) {
                s.close();
            }
        }
    }

    /** Connections nobody accepts fill the listen queue; the kernel then drops further SYNs, so connects hang. */
    private static List<Socket> fillAcceptQueue(ServerSocket server) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
        for (int i = 0; i < 10; i++) {
            Socket s = new Socket();
            try {
                s.connect(address, 300);
                sockets.add(s);
            } catch (java.net.SocketTimeoutException full) {
                s.close();
                return sockets;
            }
        }
        throw new IllegalStateException("the listen queue never filled up");
    }
}
