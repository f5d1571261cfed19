package dev.llmpool.resilience;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An Ollama-speaking backend with a fixed number of HTTP threads, each serving one connection at a time for as long
 * as it stays open (keep-alive) or until it has been idle for {@code keepAliveMs}: as llama.cpp's server does, an idle
 * keep-alive connection pins a thread, and a connection beyond the threads waits, unread, until one is free. It
 * counts connections open now and the most ever open at once, and answers each chat after {@code latencyMs}.
 */
final class PinningServer implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService threads;
    private final String model;
    private final long latencyMs;
    private final int keepAliveMs;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicInteger chats = new AtomicInteger();

    PinningServer(String model, int threads, long latencyMs, int keepAliveMs) throws IOException {
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        this.threads = Executors.newFixedThreadPool(threads);
        this.model = model;
        this.latencyMs = latencyMs;
        this.keepAliveMs = keepAliveMs;
        Thread t = new Thread(this::acceptLoop, "pinning-server");
        t.setDaemon(true);
        t.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Connections the client holds open now (served or waiting for a thread). */
    int open() {
        return open.get();
    }

    /** The most connections ever open at once. */
    int peak() {
        return peak.get();
    }

    int chats() {
        return chats.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                peak.accumulateAndGet(open.incrementAndGet(), Math::max);
                threads.execute(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setSoTimeout(keepAliveMs);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                skipBody(in, head);
                String body;
                if (head.startsWith("GET /api/tags")) {
                    body = "{\"models\":[{\"name\":\"" + model + "\",\"model\":\"" + model + "\"}]}";
                } else {
                    chats.incrementAndGet();
                    Thread.sleep(latencyMs);
                    body = "{\"model\":\"" + model + "\",\"message\":{\"role\":\"assistant\",\"content\":\"pinned\"},"
                            + "\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":1,\"eval_count\":1}";
                }
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                boolean close = head.toLowerCase(java.util.Locale.ROOT).contains("connection: close");
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                        + (close ? "\r\nConnection: close" : "") + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(bytes);
                out.flush();
                if (close) {
                    return;
                }
            }
        } catch (SocketTimeoutException e) {
            // idle past the keep-alive: the thread is free again
        } catch (IOException | InterruptedException e) {
            // connection gone
        } finally {
            open.decrementAndGet();
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                return head.toString(StandardCharsets.US_ASCII);
            }
        }
        return null;
    }

    private static void skipBody(InputStream in, String head) throws IOException {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                in.readNBytes(Integer.parseInt(line.substring(15).trim()));
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
