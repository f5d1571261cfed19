package dev.llmpool.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteTemplateDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.providers.Dialect;
import dev.llmpool.resilience.ProviderGuards;

/**
 * Keeps one route per configured provider, made from the {@code provider} route template in
 * {@code routes/providers.camel.yaml}, guarded by the provider's circuit breaker ({@code breaker-<name>}) and
 * bulkhead, calling the backend's chat endpoint. The model travels with each call, so changing it needs no rebuild.
 *
 * <p>Routes are rebuilt when what they are made from changes: a provider's URL, kind, breaker or bulkhead settings
 * (that provider, with a new breaker and bulkhead), or the template itself (every provider). Camel's route watcher
 * reloads an edited template file into the model (as a second template of the same id, which lookups by id never
 * find) but does not rebuild the routes made from it by Java, so the configuration reload timer asks
 * {@link #applyTemplateIfChanged()} to look for a newer version.
 *
 * <p>A rebuild is atomic and never waits for calls in flight: each route generation listens on its own endpoint
 * ({@code direct:provider-<name>-<generation>}); the new routes are all built first, then {@link #endpointOf} names
 * them, and the old ones are retired once the calls in flight on them have finished. A template that cannot build a
 * route is rejected as a whole, with a log line saying why, and the old routes keep serving.
 */
public class ProviderRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderRoutes.class);
    public static final String TEMPLATE = "provider";
    /** Between the switch and the retirement of an old route: a call being sent to it as it is replaced gets in. */
    private static final long RETIRE_AFTER_MS = 1_000;
    /** How long a retired route's calls in flight may take to finish (the longest deadline a request can have). */
    private static final long RETIRE_WAIT_MS = 120_000;

    /** A live route: where it listens, and what it was made from. */
    private record Live(String routeId, String endpoint, Map<String, Object> identity) {
    }

    private final CamelContext camel;
    private final ProviderGuards guards;
    private final ScheduledExecutorService retirements;
    private volatile Map<String, Live> live = Map.of();
    // guarded by this
    private PoolConfig config;
    private RouteTemplateDefinition builtFrom;
    private volatile String lastRejection;
    private long generation;

    /** @param retirements a thread that may block while an old route's calls in flight finish */
    public ProviderRoutes(CamelContext camel, ProviderGuards guards, ScheduledExecutorService retirements) {
        this.camel = camel;
        this.guards = guards;
        this.retirements = retirements;
    }

    /** The endpoint of the provider's live route. */
    public String endpointOf(String provider) {
        Live l = live.get(provider);
        if (l == null) {
            throw new IllegalStateException("provider " + provider + " has no route");
        }
        return l.endpoint();
    }

    /** A configuration change: rebuilds the routes of the providers whose settings changed. */
    public synchronized void apply(PoolConfig next) {
        rebuild(next, false);
        config = next;
    }

    /**
     * Rebuilds every provider's route when the template file was edited. Camel's reload adds the edited template to
     * the model next to the old one (the model looks templates up by id and finds the first), so the newest is made
     * the only one before building; if it cannot build a route, the template the live routes came from is put back.
     */
    public synchronized void applyTemplateIfChanged() {
        List<RouteTemplateDefinition> versions = templates();
        if (config == null || versions.isEmpty() || versions.get(versions.size() - 1) == builtFrom) {
            return;
        }
        RouteTemplateDefinition edited = versions.get(versions.size() - 1);
        keepOnly(edited);
        try {
            rebuild(config, true);
            LOG.info("event=provider_template_applied template={} providers={}", TEMPLATE, live.keySet());
        } catch (RuntimeException e) {
            keepOnly(builtFrom);
            lastRejection = e.getMessage();
            LOG.error("event=provider_template_rejected template={} reason=\"{}\" kept=old_routes", TEMPLATE,
                    e.getMessage());
        }
    }

    /** Why the last edit of the template was rejected (its routes could not be built), or null. */
    public String lastRejection() {
        return lastRejection;
    }

    /** Every version of the template in the model, oldest first. */
    private List<RouteTemplateDefinition> templates() {
        return ((ModelCamelContext) camel).getRouteTemplateDefinitions().stream()
                .filter(t -> TEMPLATE.equals(t.getId())).toList();
    }

    private void keepOnly(RouteTemplateDefinition keep) {
        ModelCamelContext model = (ModelCamelContext) camel;
        try {
            for (RouteTemplateDefinition t : templates()) {
                if (t != keep) {
                    model.removeRouteTemplateDefinition(t);
                }
            }
            if (!templates().contains(keep)) {
                model.addRouteTemplateDefinition(keep);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot update the route template: " + e.getMessage(), e);
        }
    }

    private RouteTemplateDefinition template() {
        return ((ModelCamelContext) camel).getRouteTemplateDefinition(TEMPLATE);
    }

    /** Builds the new routes, then switches to them; on any failure removes what it built and keeps the old. */
    private void rebuild(PoolConfig next, boolean all) {
        RouteTemplateDefinition template = template();
        Map<String, Live> built = new HashMap<>();
        try {
            for (ProviderConfig p : next.providers().values()) {
                Live old = live.get(p.name());
                if (all || old == null || !identity(p).equals(old.identity())) {
                    built.put(p.name(), build(p));
                }
            }
        } catch (RuntimeException e) {
            built.values().forEach(l -> retire(l, 0));
            throw e;
        }
        // A new breaker and bulkhead only for changed settings: a template edit keeps each provider's state.
        // Replicas that stay keep theirs too (ProviderGuards.replace); the queue size and wait apply at once.
        next.providers().values().forEach(guards::replace);
        Map<String, Live> switched = new HashMap<>(live);
        switched.putAll(built);
        switched.keySet().retainAll(next.providers().keySet());
        List<Live> retired = new ArrayList<>();
        live.forEach((provider, old) -> {
            if (switched.get(provider) != old) {
                retired.add(old);
            }
        });
        live = Map.copyOf(switched); // the switch: every send from now on goes to the new routes
        builtFrom = template;
        built.forEach((provider, l) -> LOG.info("event=provider_route_ready provider={} route={}", provider, l.routeId()));
        retired.forEach(l -> retire(l, RETIRE_AFTER_MS));
    }

    private Live build(ProviderConfig p) {
        String name = "provider-" + p.name() + "-" + (++generation);
        Map<String, Object> params = new HashMap<>();
        params.put("name", p.name());
        // The endpoint's URL names the route; each call goes to the replica its guard chose (BackendBinding)
        params.put("chatUrl", p.replicaUrls().get(0) + Dialect.of(p.kind()).chatPath());
        params.put("endpoint", name);
        try {
            // A node prefix per generation keeps node ids unique while an old one still runs (g2-breaker-<name>)
            camel.addRouteFromTemplate(name, TEMPLATE, "g" + generation + "-", params);
        } catch (Exception e) {
            throw new IllegalStateException("cannot build the route of provider '" + p.name() + "': " + e.getMessage(), e);
        }
        return new Live(name, "direct:" + name, identity(p));
    }

    private static Map<String, Object> identity(ProviderConfig p) {
        Map<String, Object> m = new HashMap<>();
        m.put("url", p.url()); // its replicas: a new route, while calls in flight on a removed one finish
        m.put("kind", p.kind());
        m.put("breaker", p.breaker());
        m.put("maxConcurrency", p.maxConcurrency());
        return m;
    }

    /** Stops an old route once its calls in flight have finished, and removes it; never on the caller's thread. */
    private void retire(Live old, long afterMs) {
        retirements.schedule(() -> {
            try {
                camel.getRouteController().stopRoute(old.routeId(), RETIRE_WAIT_MS, TimeUnit.MILLISECONDS);
                camel.removeRoute(old.routeId());
                LOG.info("event=provider_route_retired route={}", old.routeId());
            } catch (Exception e) {
                LOG.warn("event=provider_route_retire_failed route={} reason=\"{}\"", old.routeId(), e.getMessage());
            }
        }, afterMs, TimeUnit.MILLISECONDS);
    }
}
