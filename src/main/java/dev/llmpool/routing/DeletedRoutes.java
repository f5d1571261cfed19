package dev.llmpool.routing;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops and removes a route deleted from its YAML file once the file is reloaded. Camel's watcher rebuilds the routes
 * the saved file still defines and leaves every other route running, so without this a route taken out of a file
 * would keep serving until a restart.
 *
 * <p>Camel announces each route it reloaded (index 1..total of one reload); after the last, a route that came from
 * one of the reloaded files but was not among them is gone from its file. Routes Java made from a template (the
 * provider routes) are never touched. A reload announces no route of a file that has none of its own (route
 * configurations, the provider template) or has none left, so a route deleted from such a file stays until a
 * restart.
 */
public final class DeletedRoutes extends EventNotifierSupport {

    private static final Logger LOG = LoggerFactory.getLogger(DeletedRoutes.class);

    private final CamelContext camel;
    private final Set<String> reloadedIds = new HashSet<>();   // guarded by this
    private final Set<String> reloadedFiles = new HashSet<>(); // guarded by this

    public DeletedRoutes(CamelContext camel) {
        this.camel = camel;
        // only the route events: every exchange event would otherwise be offered to this notifier too
        setIgnoreExchangeEvents(true);
        setIgnoreCamelContextEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreStepEvents(true);
        setIgnoreRouteEvents(false);
    }

    /** The file a route was loaded from (its source location may add a line number). */
    private static String file(Route route) {
        return route.getSourceResource() == null ? null : route.getSourceResource().getLocation();
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.RouteReloadedEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        CamelEvent.RouteReloadedEvent reloaded = (CamelEvent.RouteReloadedEvent) event;
        List<Route> stale;
        synchronized (this) {
            if (reloaded.getIndex() == 1) {
                reloadedIds.clear();
                reloadedFiles.clear();
            }
            Route route = reloaded.getRoute();
            reloadedIds.add(route.getRouteId());
            String file = file(route);
            if (file != null) {
                reloadedFiles.add(file);
            }
            if (reloaded.getIndex() < reloaded.getTotal()) {
                return;
            }
            stale = camel.getRoutes().stream()
                    .filter(r -> !r.isCreatedByRouteTemplate() && !r.isCreatedByKamelet())
                    .filter(r -> reloadedFiles.contains(Objects.toString(file(r), "")))
                    .filter(r -> !reloadedIds.contains(r.getRouteId()))
                    .toList();
        }
        for (Route r : stale) {
            try {
                camel.getRouteController().stopRoute(r.getRouteId());
                camel.removeRoute(r.getRouteId());
                LOG.info("event=route_removed route={} source=\"{}\" reason=\"no longer in its file\"", r.getRouteId(),
                        r.getSourceLocationShort());
            } catch (Exception e) {
                LOG.warn("event=route_remove_failed route={} reason=\"{}\"", r.getRouteId(), e.getMessage());
            }
        }
    }
}
