package dev.llmpool.lifecycle;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One GET on a connection of its own, as a load balancer's probe or a new caller makes it (an HttpClient would
 * reuse an open connection). Fails with an IOException when the connection is refused, or closed before a status
 * line arrives.
 */
final class FreshConnection {

    record Reply(int status, String body) {
    }

    private FreshConnection() {
    }

    static Reply get(int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!text.startsWith("HTTP/1.1 ")) {
                throw new IOException("connection closed without a response");
            }
            int bodyAt = text.indexOf("\r\n\r\n");
            return new Reply(Integer.parseInt(text.substring(9, 12)), bodyAt < 0 ? "" : text.substring(bodyAt + 4));
        }
    }

    /** True when a new connection cannot get an answer. */
    static boolean fails(int port, String path) {
        try {
            get(port, path);
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
