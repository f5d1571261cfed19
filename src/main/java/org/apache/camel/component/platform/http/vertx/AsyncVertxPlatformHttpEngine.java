package org.apache.camel.component.platform.http.vertx;

import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;

/**
 * LLM Pool: the Vert.x platform-http engine, making {@link AsyncVertxPlatformHttpConsumer}s. Bound in the
 * registry as {@code platform-http-engine} (PoolBeans), where platform-http looks for its engine first.
 */
public class AsyncVertxPlatformHttpEngine extends VertxPlatformHttpEngine {

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new AsyncVertxPlatformHttpConsumer(endpoint, processor, getHandlers(),
                VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
    }
}
