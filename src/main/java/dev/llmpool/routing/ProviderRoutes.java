package dev.llmpool.routing;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.support.CamelContextHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;

/**
 * Keeps one route per configured provider, made from the {@code provider} route template in
 * {@code routes/providers.camel.yaml}: {@code direct:provider-<name>} guarded by a circuit breaker named
 * {@code breaker-<name>}, with a bulkhead of max-concurrency calls. The breaker is made here from
 * {@code pool.providers.<name>.breaker.*}, in the pool's breaker registry under that name, before its route starts:
 * the circuitBreaker EIP then gets it from the registry (which returns the breaker it holds by that name). A provider
 * whose breaker or bulkhead settings change gets a new breaker and its route rebuilt; the backend URL and model
 * travel with each call, so changing those needs no rebuild.
 */
public class ProviderRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderRoutes.class);
    public static final String TEMPLATE = "provider";

    private final CamelContext camel;
    private final Map<String, Map<String, Object>> applied = new ConcurrentHashMap<>();
    private CircuitBreakerRegistry breakers;

    public ProviderRoutes(CamelContext camel) {
        this.camel = camel;
    }

    public static String endpointOf(String provider) {
        return "direct:provider-" + provider;
    }

    public synchronized void apply(PoolConfig config) {
        for (ProviderConfig p : config.providers().values()) {
            Map<String, Object> params = parameters(p);
            Map<String, Object> identity = new HashMap<>(params);
            identity.put("breaker", p.breaker());
            if (identity.equals(applied.get(p.name()))) {
                continue;
            }
            String routeId = "provider-" + p.name();
            try {
                if (camel.getRoute(routeId) != null) {
                    camel.getRouteController().stopRoute(routeId);
                    camel.removeRoute(routeId);
                }
                newBreaker(p);
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

    /**
     * A fresh breaker (closed, empty window) in the pool's breaker registry, whose listeners feed /health. A full
     * bulkhead is ignored: a provider at max-concurrency is busy, not broken, and a burst must not open it. (Not
     * bound in Camel's registry: a bind while requests resolve endpoints can break their registry lookups.)
     */
    private CircuitBreaker newBreaker(ProviderConfig p) {
        ProviderConfig.BreakerSettings b = p.breaker();
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .failureRateThreshold(b.failureRateThreshold())
                .minimumNumberOfCalls(b.minimumNumberOfCalls())
                .slidingWindowSize(b.slidingWindowSize())
                .waitDurationInOpenState(Duration.ofSeconds(b.waitDurationInOpenStateSeconds()))
                .slowCallDurationThreshold(Duration.ofSeconds(b.slowCallDurationThresholdSeconds()))
                .slowCallRateThreshold(b.slowCallRateThreshold())
                .permittedNumberOfCallsInHalfOpenState(b.permittedCallsInHalfOpenState())
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .ignoreExceptions(BulkheadFullException.class)
                .writableStackTraceEnabled(false)
                .build();
        String name = "breaker-" + p.name();
        CircuitBreakerRegistry registry = breakerRegistry();
        registry.remove(name);
        return registry.circuitBreaker(name, config);
    }

    /** The registry bound in PoolBeans (its listeners report breaker state); a plain one when there is none. */
    private CircuitBreakerRegistry breakerRegistry() {
        if (breakers == null) {
            breakers = CamelContextHelper.findSingleByType(camel, CircuitBreakerRegistry.class);
            if (breakers == null) {
                breakers = CircuitBreakerRegistry.ofDefaults();
            }
        }
        return breakers;
    }

    private static Map<String, Object> parameters(ProviderConfig p) {
        Map<String, Object> m = new HashMap<>();
        m.put("name", p.name());
        m.put("maxConcurrency", p.maxConcurrency());
        m.put("maxConcurrencyWaitMs", p.breaker().bulkheadMaxWaitMillis());
        return m;
    }
}
