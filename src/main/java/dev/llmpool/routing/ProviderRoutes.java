package dev.llmpool.routing;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.providers.Dialect;
import dev.llmpool.resilience.ProviderGuards;

/**
 * Keeps one route per configured provider, made from the {@code provider} route template in
 * {@code routes/providers.camel.yaml}: {@code direct:provider-<name>}, guarded by the provider's circuit breaker
 * ({@code breaker-<name>}) and bulkhead, calling the backend's chat endpoint. A provider whose URL, kind, breaker
 * or bulkhead settings change gets a new breaker and bulkhead and its route rebuilt; the model travels with each
 * call, so changing it needs no rebuild.
 */
public class ProviderRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderRoutes.class);
    public static final String TEMPLATE = "provider";

    private final CamelContext camel;
    private final ProviderGuards guards;
    private final Map<String, Map<String, Object>> applied = new ConcurrentHashMap<>();

    public ProviderRoutes(CamelContext camel, ProviderGuards guards) {
        this.camel = camel;
        this.guards = guards;
    }

    public static String endpointOf(String provider) {
        return "direct:provider-" + provider;
    }

    public synchronized void apply(PoolConfig config) {
        for (ProviderConfig p : config.providers().values()) {
            Map<String, Object> params = parameters(p);
            Map<String, Object> identity = new HashMap<>(params);
            identity.put("breaker", p.breaker());
            identity.put("maxConcurrency", p.maxConcurrency());
            if (identity.equals(applied.get(p.name()))) {
                continue;
            }
            String routeId = "provider-" + p.name();
            try {
                if (camel.getRoute(routeId) != null) {
                    camel.getRouteController().stopRoute(routeId);
                    camel.removeRoute(routeId);
                }
                guards.replace(p);
                // An empty node prefix keeps the template's node ids as written (breaker-<name>, ...); without
                // one Camel prefixes every node id with a generated route id.
                camel.addRouteFromTemplate(routeId, TEMPLATE, "", params);
                applied.put(p.name(), identity);
                LOG.info("event=provider_route_ready provider={} route={}", p.name(), routeId);
            } catch (Exception e) {
                throw new IllegalStateException("cannot build the route of provider '" + p.name() + "': " + e.getMessage(), e);
            }
        }
    }

    private static Map<String, Object> parameters(ProviderConfig p) {
        Map<String, Object> m = new HashMap<>();
        m.put("name", p.name());
        m.put("chatUrl", p.url() + Dialect.of(p.kind()).chatPath());
        return m;
    }
}
