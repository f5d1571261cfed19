package dev.llmpool.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.fixture.RawHttp;

/**
 * Issue 23 item 6: slowloris connections (headers that never end) do not starve the service, the ones over
 * {@code pool.http.max-client-connections} are refused with a clear answer, and {@code pool.http.header-timeout-ms}
 * closes the rest. Sized by the process's file limit: 2,000 by default (4 descriptors each, both ends in this JVM).
 */
class SlowClientTest extends PoolTestSupport {

    private static final int SLOW = 2000;
    private static final int LIMIT = SLOW + 50;
    private static final long HEADER_TIMEOUT_MS = 12_000;

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.http.max-client-connections", String.valueOf(LIMIT));
        p.put("pool.http.header-timeout-ms", String.valueOf(HEADER_TIMEOUT_MS));
        return p;
    }

    @Test
    void slowlorisDoesNotStarveTheServiceAndIsCutOff() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < SLOW; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                slow.add(s);
            }
            long started = System.nanoTime();  // the first slow connection is older: its timeout comes first
            // Normal requests keep answering while every slow connection is held (one more byte on each, meanwhile)
            long[] micros = new long[40];
            for (int i = 0; i < micros.length; i++) {
                long t = System.nanoTime();
                int status = i % 2 == 0 ? get("/health").statusCode()
                        : infer("{\"task\":\"expand_queries\",\"prompt\":\"slow " + i + "\"}").statusCode();
                micros[i] = (System.nanoTime() - t) / 1000;
                assertEquals(200, status, "request " + i + " with " + SLOW + " slow connections open");
                slow.get(i).getOutputStream().write('a');
            }
            Arrays.sort(micros);
            System.out.printf("slowloris: %d held; normal requests p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", SLOW,
                    micros[micros.length / 2] / 1000.0, micros[(int) (micros.length * 0.99)] / 1000.0,
                    micros[micros.length - 1] / 1000.0);

            // Connections over the limit: refused with a 503 in JSON, then closed
            List<Socket> extra = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(15_000);
                extra.add(s);
            }
            int refused = 0;
            for (Socket s : extra) {
                try (s) {
                    s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    RawHttp.Response r = RawHttp.read(s.getInputStream(), false);
                    if (r.status() == 503) {
                        assertTrue(r.body().contains("too_many_connections"), r.body());
                        assertEquals("close", r.header("connection"));
                        refused++;
                    } else {
                        assertEquals(200, r.status(), r.body());
                    }
                } catch (IOException closedAfterItsGrace) {
                    refused++;  // over the limit and not quick enough to ask: closed without an answer
                }
            }
            System.out.printf("over the limit: %d of 100 extra connections refused%n", refused);
            assertTrue(refused >= 40, "connections over the limit of " + LIMIT + " are refused: " + refused);
            assertEquals(200, get("/health").statusCode(), "the service answers while refusing");

            // The header timeout closes the slow connections (the server ends them: a read sees the end)
            int closed = 0;
            for (Socket s : slow) {
                s.setSoTimeout((int) Math.max(1, HEADER_TIMEOUT_MS * 2 - (System.nanoTime() - started) / 1_000_000));
                try (InputStream in = s.getInputStream()) {
                    if (in.read() == -1) {
                        closed++;
                    }
                } catch (SocketTimeoutException stillOpen) {
                    break;
                } catch (IOException reset) {
                    closed++;
                }
            }
            assertEquals(SLOW, closed, "every slow connection is closed by the header timeout");
            assertEquals(200, get("/health").statusCode(), "the service answers after");
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }
}
