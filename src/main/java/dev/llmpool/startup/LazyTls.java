package dev.llmpool.startup;

import java.io.IOException;
import java.net.Socket;

import javax.net.ssl.SSLSocket;

import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * Apache HttpClient's default TLS, set up on the first {@code https} backend call rather than when the connection
 * pool is built: it loads the JDK's trust store and the public suffix list, about 0.4 s of CPU at start-up, and
 * backends are usually plain {@code http} on loopback or the local network.
 */
public final class LazyTls implements TlsSocketStrategy {

    private final Lazy<TlsSocketStrategy> tls = Lazy.of(DefaultClientTlsStrategy::createDefault);

    @Override
    public SSLSocket upgrade(Socket socket, String target, int port, Object attachment, HttpContext context)
            throws IOException {
        return tls.get().upgrade(socket, target, port, attachment, context);
    }
}
