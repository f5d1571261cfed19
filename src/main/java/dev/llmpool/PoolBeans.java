package dev.llmpool;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.VertxOptions;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.PropertyInject;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.spi.Registry;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.util.Timeout;

import dev.llmpool.api.ErrorResponder;
import dev.llmpool.api.RequestContextProcessor;
import dev.llmpool.api.RequestParser;
import dev.llmpool.api.ResponseWriter;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.ensemble.EnsembleProcessor;
import dev.llmpool.ensemble.ConsensusStrategy;
import dev.llmpool.ensemble.FirstCompletedStrategy;
import dev.llmpool.ensemble.JudgeCall;
import dev.llmpool.ensemble.JudgeCandidates;
import dev.llmpool.ensemble.JudgeStrategy;
import dev.llmpool.ensemble.JudgeVerdict;
import dev.llmpool.ensemble.ProviderStats;
import dev.llmpool.ensemble.VotingStrategy;
import dev.llmpool.ensemble.WeightedStrategy;
import dev.llmpool.health.HealthChecker;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.health.HealthReporter;
import dev.llmpool.providers.BackendRequestEncoder;
import dev.llmpool.providers.BackendResponseDecoder;
import dev.llmpool.providers.ProviderCallPreparer;
import dev.llmpool.routing.ProviderRoutes;
import dev.llmpool.routing.TaskResolver;

/**
 * Every bean the routes refer to by name, made in one place. The YAML routes say what happens in which order;
 * these objects do the work.
 */
@Configuration
public class PoolBeans implements CamelConfiguration {

    @PropertyInject(value = "pool.config.file", defaultValue = "application.properties")
    private String configFile;
    @PropertyInject(value = "pool.http.worker-threads", defaultValue = "400")
    private int workerThreads;
    @PropertyInject(value = "pool.http.backend-threads", defaultValue = "256")
    private int backendThreads;
    @PropertyInject(value = "pool.http.backend-queue", defaultValue = "1000")
    private int backendQueue;
    @PropertyInject(value = "pool.http.connect-timeout-ms", defaultValue = "1000")
    private long connectTimeoutMs;
    @PropertyInject(value = "pool.http.max-connections", defaultValue = "1000")
    private int maxConnections;
    @PropertyInject(value = "pool.health.timeout-ms", defaultValue = "1000")
    private long healthTimeoutMs;
    /** Performance (issue 7): backend calls on virtual threads when the JVM has them (21+). */
    @PropertyInject(value = "pool.http.virtual-threads", defaultValue = "false")
    private boolean virtualThreads;

    private final ObjectMapper mapper = new ObjectMapper();

    /** Request handling blocks a Vert.x worker thread (platform-http in 4.17); the default 20 is far too few. */
    @BindToRegistry
    public VertxOptions vertxOptions() {
        return new VertxOptions().setWorkerPoolSize(workerThreads);
    }

    @Override
    public void configure(CamelContext camel) throws Exception {
        Registry r = camel.getRegistry();
        ConfigStore config = new ConfigStore(Path.of(configFile), Path.of("."), overrides(camel));
        HealthRegistry health = new HealthRegistry();
        ProviderRoutes providerRoutes = new ProviderRoutes(camel);
        config.onChange(providerRoutes::apply);

        configureBackendHttp(camel);
        ProducerTemplate calls = camel.createProducerTemplate();
        calls.setExecutorService(backendCallPool());
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(2, daemon("llmpool-timer"));
        timers.setRemoveOnCancelPolicy(true);

        r.bind("configStore", config);
        r.bind("requestContext", new RequestContextProcessor(config));
        r.bind("requestParser", new RequestParser(mapper));
        r.bind("taskResolver", new TaskResolver(health));
        ProviderStats stats = new ProviderStats();
        r.bind("ensemble", new EnsembleProcessor(calls, timers, stats, List.of(new FirstCompletedStrategy(),
                new VotingStrategy(), new WeightedStrategy(stats), new ConsensusStrategy(), new JudgeStrategy())));
        r.bind("judgeCandidates", new JudgeCandidates());
        r.bind("judgeStrategy", new JudgeStrategy());
        r.bind("candidateCalls", backendCallPool());
        r.bind("judgeCall", new JudgeCall());
        r.bind("judgeVerdict", new JudgeVerdict(mapper));
        r.bind("providerCall", new ProviderCallPreparer());
        r.bind("responseWriter", new ResponseWriter(mapper));
        r.bind("errorResponder", new ErrorResponder(mapper));
        r.bind("backendRequest", new BackendRequestEncoder(mapper));
        r.bind("backendResponse", new BackendResponseDecoder(mapper));
        r.bind("healthChecker", new HealthChecker(config, health, calls, mapper, healthTimeoutMs));
        r.bind("healthReporter", new HealthReporter(config, health, mapper));

        // --- Performance (issue 7, see README "Performance") ---------------------------------------------
        // platform-http's engine, replaced so that a request holds no thread while its backends answer.
        var httpEngine = new org.apache.camel.component.platform.http.vertx.AsyncVertxPlatformHttpEngine();
        httpEngine.setCamelContext(camel);
        r.bind("platform-http-engine", httpEngine);

        // Provider routes come from the YAML route template, which exists only once the routes are loaded.
        camel.addStartupListener(new ExtendedStartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
                providerRoutes.apply(config.current());
            }
        });
    }

    /** One connection pool for all backend endpoints (camel-http otherwise makes one per endpoint URI). */
    private void configureBackendHttp(CamelContext camel) {
        HttpComponent http = camel.getComponent("http", HttpComponent.class);
        http.setClientConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(maxConnections)
                .setMaxConnPerRoute(maxConnections)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.ofMilliseconds(connectTimeoutMs))
                        // a backend that restarted leaves dead keep-alive connections: check idle ones before reuse
                        .setValidateAfterInactivity(org.apache.hc.core5.util.TimeValue.ofMilliseconds(250))
                        .build())
                .build());
    }

    /**
     * Backend calls block a thread each (camel-http and the Resilience4j EIP are blocking); bounded, never unbounded.
     * With pool.http.virtual-threads on a JDK 21+, each call gets a virtual thread instead: a call waiting for its
     * backend then holds no platform thread, and the providers' bulkheads (max-concurrency) bound the calls.
     */
    private java.util.concurrent.ExecutorService backendCallPool() {
        if (virtualThreads && Runtime.version().feature() >= 21) {
            try { // reflection: the project builds for Java 17
                return (java.util.concurrent.ExecutorService) Executors.class
                        .getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot make virtual threads", e);
            }
        }
        ThreadPoolExecutor pool = new ThreadPoolExecutor(backendThreads, backendThreads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(backendQueue), daemon("llmpool-backend"));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Properties set through Camel (tests, -D) that the pool's own config file must not override. */
    private static Properties overrides(CamelContext camel) {
        Properties p = new Properties();
        Properties o = camel.getPropertiesComponent() instanceof org.apache.camel.component.properties.PropertiesComponent pc
                ? pc.getOverrideProperties() : null;
        if (o != null) {
            o.forEach((k, v) -> {
                if (k.toString().startsWith("pool.")) {
                    p.put(k, v);
                }
            });
        }
        return p;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        var counter = new java.util.concurrent.atomic.AtomicInteger();
        var base = Executors.defaultThreadFactory();
        return r -> {
            Thread t = base.newThread(r);
            t.setName(name + "-" + counter.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
