package dev.llmpool.routing;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;

/**
 * Keeps one route per configured provider, made from the {@code provider} route template in
 * {@code routes/providers.camel.yaml}: {@code direct:provider-<name>} guarded by a circuit breaker named
 * {@code breaker-<name>}. A provider whose breaker settings change gets its route rebuilt; the backend URL and
 * model travel with each call, so changing those needs no rebuild.
 */
public class ProviderRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderRoutes.class);
    public static final String TEMPLATE = "provider";

    private final CamelContext camel;
    private final Map<String, Map<String, Object>> applied = new ConcurrentHashMap<>();

    public ProviderRoutes(CamelContext camel) {
        this.camel = camel;
    }

    public static String endpointOf(String provider) {
        return "direct:provider-" + provider;
    }

    public synchronized void apply(PoolConfig config) {
        for (ProviderConfig p : config.providers().values()) {
            Map<String, Object> params = parameters(p);
            if (params.equals(applied.get(p.name()))) {
                continue;
            }
            String routeId = "provider-" + p.name();
            try {
                if (camel.getRoute(routeId) != null) {
                    camel.getRouteController().stopRoute(routeId);
                    camel.removeRoute(routeId);
                }
                camel.addRouteFromTemplate(routeId, TEMPLATE, params);
                applied.put(p.name(), params);
                LOG.info("event=provider_route_ready provider={} route={}", p.name(), routeId);
            } catch (Exception e) {
                throw new IllegalStateException("cannot build the route of provider '" + p.name() + "': " + e.getMessage(), e);
            }
        }
    }

    private static Map<String, Object> parameters(ProviderConfig p) {
        Map<String, Object> m = new HashMap<>();
        m.put("name", p.name());
        m.put("maxConcurrency", p.maxConcurrency());
        m.put("failureRateThreshold", p.breaker().failureRateThreshold());
        m.put("minimumNumberOfCalls", p.breaker().minimumNumberOfCalls());
        m.put("slidingWindowSize", p.breaker().slidingWindowSize());
        m.put("waitDurationInOpenState", p.breaker().waitDurationInOpenStateSeconds());
        m.put("slowCallDurationThreshold", p.breaker().slowCallDurationThresholdSeconds());
        m.put("permittedNumberOfCallsInHalfOpenState", p.breaker().permittedCallsInHalfOpenState());
        return m;
    }
}
