package dev.llmpool.routing;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;

import dev.llmpool.config.ConfigStore;
import dev.llmpool.ensemble.EventLoopTimers;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.lifecycle.DaemonThreads;
import dev.llmpool.resilience.ProviderGuards;

/** Which providers a request goes to: the task's plan, and one Camel route per provider made from the route template. */
public class RoutingBeans {

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

    @BindToRegistry
    public TaskResolver taskResolver(@BeanInject("healthRegistry") HealthRegistry health) {
        return new TaskResolver(health);
    }

    @BindToRegistry
    public ContextFit contextFit() {
        return new ContextFit();
    }
}
