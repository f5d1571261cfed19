package dev.llmpool.resilience;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A backend that answers its model list at once but sends a chat answer one byte every 100 ms for up to
 * {@code trickleFor}: every read of the client gets data soon, so only a bound on the whole call can end it.
 * {@link #closedByClient} is released when the client hangs up mid-answer.
 */
final class TrickleServer implements AutoCloseable {

    private final ServerSocket server;
    private final long trickleForMs;
    final CountDownLatch chatStarted = new CountDownLatch(1);
    final CountDownLatch closedByClient = new CountDownLatch(1);

    TrickleServer(String model, long trickleForMs) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.trickleForMs = trickleForMs;
        Thread t = new Thread(() -> acceptLoop(model), "trickle-server");
        t.setDaemon(true);
        t.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void acceptLoop(String model) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s, model), "trickle-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, String model) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                skipBody(in, head);
                if (head.startsWith("GET /api/tags")) {
                    byte[] body = ("{\"models\":[{\"name\":\"" + model + "\",\"model\":\"" + model + "\"}]}")
                            .getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                    continue;
                }
                chatStarted.countDown();
                out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(trickleForMs);
                try {
                    while (System.nanoTime() < until) {
                        Thread.sleep(100);
                        out.write(' ');
                        out.flush();
                    }
                } catch (IOException e) {
                    closedByClient.countDown();
                }
                return;
            }
        } catch (IOException | InterruptedException e) {
            // connection gone
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
    }
}
