package dev.llmpool.streaming;

import org.apache.camel.CamelContext;
import org.apache.camel.component.resilience4j.ResilienceProcessor;

/** Lets tests in other packages reach a provider route's circuit breaker the way the streaming path does. */
public final class ProviderGuardAccess {

    private ProviderGuardAccess() {
    }

    public static ResilienceProcessor breakerOf(CamelContext camel, String provider) {
        return ProviderGuard.breakerOf(camel, provider);
    }
}
