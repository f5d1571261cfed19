package dev.llmpool.auth;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.util.Collections;

import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/** Auth off (the default): the HTTP and gRPC ports listen on 127.0.0.1 only, not on the machine's other addresses. */
class BindHostTest extends PoolTestSupport {

    @Test
    void portsAreReachableOnLoopbackOnly() throws IOException {
        InetAddress external = nonLoopbackAddress();
        assumeTrue(external != null, "this machine has no address but loopback");
        for (int p : new int[] {port, grpcPort}) {
            try (Socket loopback = new Socket()) {
                loopback.connect(new InetSocketAddress("127.0.0.1", p), 2000);
            }
            assertThrows(ConnectException.class, () -> {
                try (Socket other = new Socket()) {
                    other.connect(new InetSocketAddress(external, p), 2000);
                }
            }, "port " + p + " must not listen on " + external);
        }
    }

    private static InetAddress nonLoopbackAddress() throws SocketException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                    return a;
                }
            }
        }
        return null;
    }
}
