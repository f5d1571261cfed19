package dev.llmpool.api;

import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.spi.PlatformHttpEngine;

/**
 * platform-http's engine: every {@code platform-http:} route is served by {@link HttpFront}. Bound in the registry
 * as {@code platform-http-engine} (ApiBeans), where platform-http looks for its engine first.
 */
public final class FrontEngine implements PlatformHttpEngine {

    private final HttpFront front;
    private final int port;

    public FrontEngine(HttpFront front, int port) {
        this.front = front;
        this.port = port;
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new FrontConsumer(endpoint, processor, front);
    }

    @Override
    public int getServerPort() {
        return port;
    }
}
