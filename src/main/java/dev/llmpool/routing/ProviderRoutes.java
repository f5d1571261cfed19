package dev.llmpool.routing;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.config.PoolConfig;
import dev.llmpool.logging.LogText;
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
    /** The configuration each built route was made from, to put it back when an edit fails. */
    private final Map<String, ProviderConfig> inForce = new ConcurrentHashMap<>();

    public ProviderRoutes(CamelContext camel, ProviderGuards guards) {
        this.camel = camel;
        this.guards = guards;
    }

    public static String endpointOf(String provider) {
        return "direct:provider-" + provider;
    }

    /**
     * Builds the routes of the providers that are new or changed. All or nothing: if one cannot be built, the routes
     * this call replaced are put back as they were and it fails, so ConfigStore rejects the whole edit (a task must
     * never point at a {@code direct:} endpoint with no route: its caller would wait for one on an event loop).
     */
    public synchronized void apply(PoolConfig config) {
        Map<String, ProviderConfig> replaced = new LinkedHashMap<>();
        for (ProviderConfig p : config.providers().values()) {
            if (identity(p).equals(applied.get(p.name()))) {
                continue;
            }
            replaced.put(p.name(), inForce.get(p.name()));
            try {
                build(p);
            } catch (Exception e) {
                replaced.forEach(this::restore);
                throw new IllegalStateException("cannot build the route of provider '" + p.name() + "': "
                        + e.getMessage(), e);
            }
        }
    }

    private void build(ProviderConfig p) throws Exception {
        String routeId = "provider-" + p.name();
        remove(routeId);
        guards.replace(p);
        // An empty node prefix keeps the template's node ids as written (breaker-<name>, ...); without
        // one Camel prefixes every node id with a generated route id.
        camel.addRouteFromTemplate(routeId, TEMPLATE, "", parameters(p));
        applied.put(p.name(), identity(p));
        inForce.put(p.name(), p);
        LOG.info("event=provider_route_ready provider={} route={}", p.name(), routeId);
    }

    /** Puts back the route a failed edit replaced ({@code before} null: the provider is new, so it has none). */
    private void restore(String name, ProviderConfig before) {
        try {
            applied.remove(name);
            inForce.remove(name);
            if (before == null) {
                remove("provider-" + name);
            } else {
                build(before);
            }
        } catch (Exception e) {
            LOG.error("event=provider_route_restore_failed provider={} reason=\"{}\"", name, LogText.of(e.getMessage()));
        }
    }

    private void remove(String routeId) throws Exception {
        if (camel.getRoute(routeId) != null) {
            camel.getRouteController().stopRoute(routeId);
            camel.removeRoute(routeId);
        }
    }

    /** What the route and its guards are made from: a change of any of it rebuilds them. */
    private static Map<String, Object> identity(ProviderConfig p) {
        Map<String, Object> identity = new HashMap<>(parameters(p));
        identity.put("breaker", p.breaker());
        identity.put("maxConcurrency", p.maxConcurrency());
        return identity;
    }

    private static Map<String, Object> parameters(ProviderConfig p) {
        Map<String, Object> m = new HashMap<>();
        m.put("name", p.name());
        m.put("chatUrl", p.url() + Dialect.of(p.kind()).chatPath());
        return m;
    }
}
