package dev.llmpool;

import java.util.List;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.PropertyInject;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.CamelBeanPostProcessor;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.service.ServiceSupport;

import dev.llmpool.api.ApiBeans;
import dev.llmpool.api.FrontServer;
import dev.llmpool.auth.AccessBeans;
import dev.llmpool.cache.CacheBeans;
import dev.llmpool.config.ConfigBeans;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.ensemble.AnswerEmbeddings;
import dev.llmpool.ensemble.EnsembleBeans;
import dev.llmpool.ensemble.EventLoopTimers;
import dev.llmpool.grpc.GrpcBeans;
import dev.llmpool.health.HealthBeans;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.lifecycle.ConnectionDrain;
import dev.llmpool.lifecycle.DaemonThreads;
import dev.llmpool.lifecycle.LifecycleBeans;
import dev.llmpool.lifecycle.PoolReadiness;
import dev.llmpool.metrics.ObservabilityBeans;
import dev.llmpool.metrics.StepTimes;
import dev.llmpool.ollama.OllamaBeans;
import dev.llmpool.openai.OpenAiBeans;
import dev.llmpool.providers.ProviderBeans;
import dev.llmpool.queues.QueueBeans;
import dev.llmpool.resilience.ResilienceBeans;
import dev.llmpool.routing.ProviderRoutes;
import dev.llmpool.routing.RoutingBeans;
import dev.llmpool.streaming.StreamingBeans;
import dev.llmpool.tracing.Tracing;
import dev.llmpool.tracing.TracingBeans;
import dev.llmpool.ui.UiBeans;

/**
 * The pool's beans: the few every package shares (below), then each package's own, made by its configuration class
 * ({@link #configure}), then what runs when the context starts and stops. The YAML routes say what happens in which
 * order; these objects do the work, found by the names the routes give.
 *
 * <p>camel-main finds this class (Application names it; tests scan the package) but would give several configuration
 * classes no order, while a package's beans take other packages' beans as parameters. So the package classes (not
 * annotated {@code @Configuration}, which would have the tests' package scan make them itself, in no order) are
 * listed here in the order they depend on each other, and Camel's bean post-processor makes their
 * {@code @BindToRegistry} beans, as camel-main does for a configuration class it finds: each method's parameters are
 * settings ({@code @PropertyInject}), beans by name ({@code @BeanInject("name")}), the context, or else the one
 * bean of their type. Within one class Camel orders the methods by their parameters only (first those without, then
 * those whose parameters no other method with parameters makes): a bean may take a bean of its own class only if
 * that one takes none of its own class either.
 */
@Configuration
public class PoolBeans implements CamelConfiguration {

    /** Named so camel-micrometer-prometheus uses it for Camel's own meters too. */
    @BindToRegistry("metricsRegistry")
    public PrometheusMeterRegistry metricsRegistry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /**
     * The one Vert.x instance: the HTTP front (api/HttpFront) serves on it and camel-vertx-http calls backends on it.
     * Its event loops do the network I/O and run the platform-http routes (api/FrontConsumer).
     */
    @BindToRegistry
    public Vertx vertx(@PropertyInject(value = "pool.http.worker-threads", defaultValue = "16") int workerThreads) {
        return Vertx.vertx(new VertxOptions().setWorkerPoolSize(workerThreads).setPreferNativeTransport(true));
    }

    /** The providers' health: written by their breakers (resilience) and checks (health), read by routing and pages. */
    @BindToRegistry
    public HealthRegistry healthRegistry() {
        return new HealthRegistry();
    }

    /** Deadlines, hedges and waits for a slot: on the request's event loop when it has one, else on these threads. */
    @BindToRegistry
    public EventLoopTimers eventLoopTimers() {
        return new EventLoopTimers(2, DaemonThreads.named("llmpool-timer"));
    }

    @Override
    public void configure(CamelContext camel) throws Exception {
        CamelBeanPostProcessor beans = PluginHelper.getBeanPostProcessor(camel);
        List<Object> inDependencyOrder = List.of(
                new ConfigBeans(), new TracingBeans(), new ResilienceBeans(), new ProviderBeans(), new StreamingBeans(),
                new HealthBeans(),
                // config-change listeners run in this order: provider routes, semantic warm-up, provider gauges
                new RoutingBeans(), new EnsembleBeans(), new ObservabilityBeans(),
                new CacheBeans(), new UiBeans(), new GrpcBeans(),
                new AccessBeans(),  // takes the cache's Redis store and the health report
                new ApiBeans(),     // takes the cache's exact repeats
                new OpenAiBeans(), new OllamaBeans(), new LifecycleBeans(),
                new QueueBeans());  // takes no other package's beans; last, so its services stop before theirs
        for (Object packageBeans : inDependencyOrder) {
            String name = packageBeans.getClass().getName();
            beans.postProcessBeforeInitialization(packageBeans, name);
            beans.postProcessAfterInitialization(packageBeans, name);
        }
        StepTimes.installIfOn(camel); // a diagnostic, off by default: before the routes are created
        Registry r = camel.getRegistry();
        stopWithTheContext(camel, r);
        startWithTheContext(camel, r);
    }

    /**
     * The timer threads (deadlines, hedges, waits for a slot), the route retirements' thread, the JVM's GC meters,
     * tracing (the spans not exported yet go out), the embedding pool and Vert.x end with the context, not with the
     * JVM. Added after the services the package beans added (Redis, the JWKS refresher), so stopped before them.
     */
    private static void stopWithTheContext(CamelContext camel, Registry r) throws Exception {
        EventLoopTimers timers = r.lookupByNameAndType("eventLoopTimers", EventLoopTimers.class);
        var gcMetrics = r.lookupByNameAndType("jvmGcMetrics", io.micrometer.core.instrument.binder.jvm.JvmGcMetrics.class);
        var retirements = r.lookupByNameAndType("routeRetirements", java.util.concurrent.ExecutorService.class);
        Tracing tracing = r.lookupByNameAndType("tracing", Tracing.class);
        AnswerEmbeddings embeddings = r.lookupByNameAndType("answerEmbeddings", AnswerEmbeddings.class);
        Vertx vertx = r.lookupByNameAndType("vertx", Vertx.class);
        camel.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                timers.shutdownNow();
                gcMetrics.close();
                retirements.shutdownNow();
                tracing.close();
                embeddings.close();
                vertx.close();
            }
        });
    }

    /**
     * Provider routes come from the YAML route template, which exists only once the routes are loaded; the HTTP port
     * is served from then on, and the pool reports itself ready.
     */
    private static void startWithTheContext(CamelContext camel, Registry r) throws Exception {
        PoolReadiness readiness = r.lookupByNameAndType("poolReadiness", PoolReadiness.class);
        ProviderRoutes providerRoutes = r.lookupByNameAndType("providerRoutes", ProviderRoutes.class);
        ConfigStore config = r.lookupByNameAndType("configStore", ConfigStore.class);
        FrontServer front = r.lookupByNameAndType("frontServer", FrontServer.class);
        Vertx vertx = r.lookupByNameAndType("vertx", Vertx.class);
        ConnectionDrain drain = r.lookupByNameAndType("connectionDrain", ConnectionDrain.class);
        camel.addStartupListener(new ExtendedStartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                HealthCheckRegistry.get(context).register(readiness); // issue 21: /health/ready
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) throws Exception {
                providerRoutes.apply(config.current());
                front.serve(vertx, drain);
                readiness.started();
            }
        });
    }
}
