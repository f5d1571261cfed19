package dev.llmpool.routing;

import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.support.RouteWatcherReloadStrategy;

import dev.llmpool.config.ConfigStore;
import dev.llmpool.ensemble.EventLoopTimers;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.lifecycle.DaemonThreads;
import dev.llmpool.resilience.ProviderGuards;

/** Which providers a request goes to: the task's plan, and one Camel route per provider made from the route template. */
public class RoutingBeans {

    @PropertyInject(value = "camel.main.routesReloadDirectory", defaultValue = "routes")
    private String routesDirectory;

    /** Old provider routes are retired on this thread once their calls in flight end (a template edit, a new URL). */
    @BindToRegistry
    public ScheduledThreadPoolExecutor routeRetirements() {
        return new ScheduledThreadPoolExecutor(1, DaemonThreads.named("llmpool-route-retire"));
    }

    /**
     * The provider routes follow the configuration as it changes; the config-reload timer also asks them to apply an
     * edited template. They are made from the YAML template once the routes are loaded (PoolBeans' start-up).
     */
    @BindToRegistry
    public ProviderRoutes providerRoutes(CamelContext camel, ProviderGuards guards, ConfigStore config,
                                         @BeanInject("routeRetirements") ScheduledExecutorService retirements) {
        ProviderRoutes providerRoutes = new ProviderRoutes(camel, guards, retirements);
        config.onChange(providerRoutes::apply);
        return providerRoutes;
    }

    /** A call to one provider through its route; without a free slot a provider may be passed over (ProviderGuards). */
    @BindToRegistry
    public ProviderCalls providerCalls(CamelContext camel, @BeanInject("eventLoopTimers") EventLoopTimers timers,
                                       ProviderRoutes providerRoutes, ProviderGuards guards) {
        return new ProviderCalls(camel, timers, providerRoutes, guards::hasFreeSlot);
    }

    /** An edited route configuration reloads the route files that use it (Camel's watcher reloads only the saved file). */
    @BindToRegistry(RouteWatcherReloadStrategy.RELOAD_RESOURCES)
    public RouteConfigurationEdits routeConfigurationEdits(CamelContext camel) {
        return new RouteConfigurationEdits(camel, Path.of(routesDirectory), ".camel.yaml");
    }

    /** A route deleted from its file is removed when the file is reloaded (Camel's watcher would leave it running). */
    @BindToRegistry
    public DeletedRoutes deletedRoutes(CamelContext camel) {
        DeletedRoutes deleted = new DeletedRoutes(camel);
        camel.getManagementStrategy().addEventNotifier(deleted);
        return deleted;
    }

    @BindToRegistry
    public TaskResolver taskResolver(@BeanInject("healthRegistry") HealthRegistry health) {
        return new TaskResolver(health);
    }

    @BindToRegistry
    public ContextFit contextFit() {
        return new ContextFit();
    }
}
