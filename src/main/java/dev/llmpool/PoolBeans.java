package dev.llmpool;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.ext.web.client.WebClientOptions;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.Registry;

import dev.llmpool.api.ErrorResponder;
import dev.llmpool.api.FrontEngine;
import dev.llmpool.api.FrontLimits;
import dev.llmpool.api.HttpFront;
import dev.llmpool.api.RequestContextProcessor;
import dev.llmpool.api.RequestState;
import dev.llmpool.api.RequestParser;
import dev.llmpool.api.ResponseWriter;
import dev.llmpool.cache.CacheKeys;
import dev.llmpool.cache.CacheMetrics;
import dev.llmpool.cache.ExactRepeats;
import dev.llmpool.cache.IdempotencyGuard;
import dev.llmpool.cache.LocalStore;
import dev.llmpool.cache.RedisStore;
import dev.llmpool.cache.ResponseCache;
import dev.llmpool.cache.Store;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.ensemble.AnswerEmbeddings;
import dev.llmpool.ensemble.EnsembleProcessor;
import dev.llmpool.ensemble.EventLoopTimers;
import dev.llmpool.ensemble.ConsensusStrategy;
import dev.llmpool.ensemble.FirstCompletedStrategy;
import dev.llmpool.ensemble.JudgeCall;
import dev.llmpool.ensemble.JudgeCandidates;
import dev.llmpool.ensemble.JudgeStrategy;
import dev.llmpool.ensemble.JudgeVerdict;
import dev.llmpool.ensemble.ProviderStats;
import dev.llmpool.ensemble.VotingStrategy;
import dev.llmpool.ensemble.WeightedStrategy;
import dev.llmpool.health.BreakerEvents;
import dev.llmpool.health.HealthChecker;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.health.HealthReporter;
import dev.llmpool.metrics.MetricsScrape;
import dev.llmpool.metrics.RequestMetrics;
import dev.llmpool.providers.BackendBinding;
import dev.llmpool.providers.BackendRequestEncoder;
import dev.llmpool.providers.BackendResponseDecoder;
import dev.llmpool.providers.EventLoopHttpComponent;
import dev.llmpool.providers.ProviderCallPreparer;
import dev.llmpool.resilience.BreakerPolicy;
import dev.llmpool.resilience.ProviderGuards;
import dev.llmpool.routing.ProviderCalls;
import dev.llmpool.routing.ProviderRoutes;
import dev.llmpool.routing.TaskResolver;
import dev.llmpool.tracing.Tracing;

/**
 * Every bean the routes refer to by name, made in one place. The YAML routes say what happens in which order;
 * these objects do the work.
 */
@Configuration
public class PoolBeans implements CamelConfiguration {

    /** Longer request bodies are never answered as exact repeats (the memory a remembered body takes). */
    private static final int EXACT_REPEAT_MAX_BODY_BYTES = 16 * 1024;

    @PropertyInject(value = "pool.config.file", defaultValue = "application.properties")
    private String configFile;
    @PropertyInject(value = "pool.http.worker-threads", defaultValue = "16")
    private int workerThreads;
    @PropertyInject(value = "pool.http.port", defaultValue = "7071")
    private int httpPort;
    /** Event loops serving the HTTP port; 0 = one per core. */
    @PropertyInject(value = "pool.http.event-loops", defaultValue = "0")
    private int eventLoops;
    @PropertyInject(value = "pool.http.connect-timeout-ms", defaultValue = "1000")
    private long connectTimeoutMs;
    @PropertyInject(value = "pool.http.max-connections", defaultValue = "1000")
    private int maxConnections;
    /** Idle backend connections close after this (whole seconds in Vert.x: rounded up). */
    @PropertyInject(value = "pool.http.idle-timeout-ms", defaultValue = "1000")
    private long backendIdleTimeoutMs;
    @PropertyInject(value = "pool.health.timeout-ms", defaultValue = "1000")
    private long healthTimeoutMs;
    // Response cache and idempotency keys (restart to change)
    @PropertyInject(value = "pool.cache.backend", defaultValue = "caffeine")
    private String cacheBackend;
    @PropertyInject(value = "pool.cache.ttl-seconds", defaultValue = "900")
    private long cacheTtlSeconds;
    @PropertyInject(value = "pool.cache.max-entries", defaultValue = "10000")
    private long cacheMaxEntries;
    @PropertyInject(value = "pool.cache.exact-repeats", defaultValue = "true")
    private boolean exactRepeats;
    @PropertyInject(value = "pool.idempotency.ttl-seconds", defaultValue = "86400")
    private long idempotencyTtlSeconds;
    @PropertyInject(value = "pool.idempotency.wait-ms", defaultValue = "30000")
    private long idempotencyWaitMs;
    @PropertyInject(value = "pool.idempotency.max-entries", defaultValue = "10000")
    private long idempotencyMaxEntries;
    @PropertyInject(value = "pool.redis.url", defaultValue = "redis://localhost:6379")
    private String redisUrl;
    @PropertyInject(value = "pool.redis.timeout-ms", defaultValue = "250")
    private int redisTimeoutMs;
    @PropertyInject(value = "pool.redis.retry-ms", defaultValue = "1000")
    private long redisRetryMs;
    @PropertyInject(value = "pool.redis.threads", defaultValue = "16")
    private int redisThreads;
    @PropertyInject(value = "pool.grpc.worker-threads", defaultValue = "400")
    private int grpcWorkerThreads;
    // --- HTTP server limits (issue 23, README "HTTP server limits"; restart to change) ---
    @PropertyInject(value = "pool.http.max-header-bytes", defaultValue = "8192")
    private int maxHeaderBytes;
    @PropertyInject(value = "pool.http.max-line-bytes", defaultValue = "4096")
    private int maxLineBytes;
    @PropertyInject(value = "pool.http.server-idle-timeout-ms", defaultValue = "60000")
    private long idleTimeoutMs;
    @PropertyInject(value = "pool.http.header-timeout-ms", defaultValue = "10000")
    private long headerTimeoutMs;
    @PropertyInject(value = "pool.http.max-client-connections", defaultValue = "10000")
    private int maxClientConnections;
    /** The access log's format: kv, json or off (issue 18). */
    @PropertyInject(value = "pool.log.format", defaultValue = "kv")
    private String logFormat;
    /** Whether the operations page shows the recent requests' prompts (issue 18). */
    @PropertyInject(value = "pool.ui.show-prompts", defaultValue = "false")
    private boolean uiShowPrompts;
    /** Tracing (issue 18): the spans' service.name and how long finished spans wait to go out in one batch. */
    @PropertyInject(value = "pool.tracing.service-name", defaultValue = "llm-pool")
    private String tracingServiceName;
    @PropertyInject(value = "pool.tracing.export-delay-ms", defaultValue = "5000")
    private long tracingExportDelayMs;
    @PropertyInject(value = "pool.shutdown.grace-ms", defaultValue = "2000")
    private long shutdownGraceMs;
    /** Threads embedding answers for semantic grouping (issue 19, docs/routing.md "Semantic voting"). */
    @PropertyInject(value = "pool.similarity.threads", defaultValue = "2")
    private int similarityThreads;

    private final ObjectMapper mapper = new ObjectMapper();
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /** Named so camel-micrometer-prometheus uses it for Camel's own meters too. */
    @BindToRegistry("metricsRegistry")
    public PrometheusMeterRegistry metricsRegistry() {
        return metrics;
    }

    /**
     * The one Vert.x instance: the HTTP front (api/HttpFront) serves on it and camel-vertx-http calls backends on it
     * (the registry's). Its event loops do the network I/O and run the platform-http routes (api/FrontConsumer).
     */
    @BindToRegistry
    public Vertx vertx() {
        return Vertx.vertx(new VertxOptions().setWorkerPoolSize(workerThreads).setPreferNativeTransport(true));
    }

    /** Connections to backends, shared by every provider endpoint (camel-vertx-http's webClientOptions). */
    @BindToRegistry
    public WebClientOptions backendClientOptions() {
        return new WebClientOptions()
                .setMaxPoolSize(maxConnections)      // per backend host:port; provider calls: max-concurrency per replica
                .setConnectTimeout((int) connectTimeoutMs)
                .setKeepAlive(true)
                // Vert.x's keep-alive timeout is in whole seconds (its idle timeout would also cut a call in progress
                // that waits for a slow model's first byte); the pool's cleaner looks for expired ones this often
                .setKeepAliveTimeout((int) Math.max(1, (backendIdleTimeoutMs + 999) / 1000))
                .setPoolCleanerPeriod((int) Math.max(100, Math.min(1000, backendIdleTimeoutMs)))
                .setTcpNoDelay(true)
                .setUserAgentEnabled(false);
    }

    /** Health checks: a connection per check, none kept open (an engine's HTTP threads are for calls). */
    @BindToRegistry
    public WebClientOptions healthClientOptions() {
        return new WebClientOptions()
                .setConnectTimeout((int) connectTimeoutMs)
                .setKeepAlive(false)
                .setUserAgentEnabled(false);
    }

    @Override
    public void configure(CamelContext camel) throws Exception {
        Registry r = camel.getRegistry();
        ConfigStore config = new ConfigStore(Path.of(configFile), Path.of("."), overrides(camel));
        HealthRegistry health = new HealthRegistry();
        // deadlines, hedges and waits for a slot: on the request's event loop when it has one, else on these threads
        ScheduledThreadPoolExecutor timers = new EventLoopTimers(2, daemon("llmpool-timer"));
        // --- Providers and their guards (issue 4; asynchronous since issue 7) -------------------------------------
        // Each provider's circuit breaker lives in this registry, whose listeners feed /health and provider selection;
        // the guards (breaker + bulkhead) are used by the provider routes' policy node, for whole and streamed calls alike.
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.ofDefaults(), new BreakerEvents(health));
        r.bind("circuitBreakerRegistry", breakers);
        ProviderGuards guards = new ProviderGuards(breakers, timers, metrics);
        r.bind("providerGuards", guards);
        // With tracing on (pool.tracing.otlp-endpoint), each guarded call is also a CLIENT span (tracing/CallSpans)
        String otlpEndpoint = camel.getPropertiesComponent().resolveProperty("pool.tracing.otlp-endpoint").orElse("");
        Tracing tracing = otlpEndpoint.isBlank() ? Tracing.off()
                : Tracing.otlp(otlpEndpoint, tracingServiceName, tracingExportDelayMs);
        r.bind("breakerPolicy", tracing.callSpansAround(new BreakerPolicy(guards)));
        // camel-vertx-http, going on after a call on the event loop (EventLoopHttpComponent), on the pool's Vert.x:
        // set here, as its own lookup by type finds none when the registry holds more than one (several pools in one
        // JVM, as in tests) and then starts a Vert.x of its own
        Vertx vertx = r.findSingleByType(Vertx.class);
        EventLoopHttpComponent http = new EventLoopHttpComponent();
        http.setVertx(vertx);
        camel.addComponent("vertx-http", http);
        BackendBinding backendBinding = new BackendBinding(vertx, backendClientOptions());
        r.bind("backendBinding", backendBinding);
        r.bind("streamedCall", new dev.llmpool.streaming.StreamedCall(backendBinding, mapper)); // a provider route's streamed call
        // Old provider routes are retired on this thread once their calls in flight end (a template edit, a new URL)
        ScheduledThreadPoolExecutor retirements = new ScheduledThreadPoolExecutor(1, daemon("llmpool-route-retire"));
        ProviderRoutes providerRoutes = new ProviderRoutes(camel, guards, retirements);
        r.bind("providerRoutes", providerRoutes); // the config-reload timer asks it to apply an edited template
        config.onChange(providerRoutes::apply);
        ProviderCalls calls = new ProviderCalls(camel, timers, providerRoutes, guards::hasFreeSlot);

        r.bind("configStore", config);
        r.bind("requestContext", new RequestContextProcessor(config));
        RequestState.bindPredicates(r);  // the routes' choices: ref notAnswered, servedByJudge, streamedOverHttp
        r.bind("requestParser", new RequestParser(mapper));
        r.bind("taskResolver", new TaskResolver(health));
        r.bind("contextFit", new dev.llmpool.routing.ContextFit());
        ProviderStats stats = new ProviderStats(metrics);
        // answers compared by meaning (similarity=semantic): embedded on a pool of their own, the model loaded ahead
        // only when a task asks for it
        AnswerEmbeddings embeddings = new AnswerEmbeddings(similarityThreads, daemon("llmpool-similarity"), metrics);
        r.bind("answerEmbeddings", embeddings);
        java.util.function.Consumer<dev.llmpool.config.PoolConfig> warmIfSemantic = c -> {
            if (c.tasks().values().stream().anyMatch(t -> t.similarity() == dev.llmpool.ensemble.Similarity.SEMANTIC)) {
                embeddings.warmUp();
            }
        };
        warmIfSemantic.accept(config.current());
        config.onChange(warmIfSemantic);
        r.bind("ensemble", new EnsembleProcessor(calls, timers, stats, List.of(new FirstCompletedStrategy(),
                new VotingStrategy(), new WeightedStrategy(stats), new ConsensusStrategy(), new JudgeStrategy()),
                embeddings));
        r.bind("judgeCandidates", new JudgeCandidates(providerRoutes));
        r.bind("judgeStrategy", new JudgeStrategy());
        // JUDGE's Multicast starts its branches on these; a branch gives its thread back once its call is sent.
        r.bind("candidateCalls", Executors.newFixedThreadPool(4, daemon("llmpool-judge")));
        r.bind("judgeCall", new JudgeCall(providerRoutes));
        r.bind("judgeVerdict", new JudgeVerdict(mapper));
        r.bind("providerCall", new ProviderCallPreparer());
        r.bind("responseWriter", new ResponseWriter(mapper));
        r.bind("errorResponder", new ErrorResponder(mapper));
        r.bind("backendRequest", new BackendRequestEncoder(mapper));
        r.bind("backendResponse", new BackendResponseDecoder(mapper));
        r.bind("healthChecker", new HealthChecker(config, health, camel.createProducerTemplate(), mapper, healthTimeoutMs,
                guards::inFlight));
        r.bind("healthReporter", new HealthReporter(config, health, mapper, guards));
        RequestMetrics requestMetrics = new RequestMetrics(metrics, tracing);  // also each request's SERVER span
        r.bind("requestMetrics", requestMetrics);
        r.bind("metricsScrape", new MetricsScrape(metrics));
        // --- Observability (issue 18, docs/operations.md) ------------------------------------------------------
        // tokens per provider/task/tenant (the provider routes' last step and the streaming race), per-provider gauges
        dev.llmpool.metrics.TokenMeter tokenMeter = new dev.llmpool.metrics.TokenMeter(metrics);
        r.bind("tokenMeter", tokenMeter);
        var providerGauges = new dev.llmpool.metrics.ProviderGauges(metrics, guards, health);
        providerGauges.apply(config.current());
        var accessLogFormat = dev.llmpool.metrics.AccessLog.format(logFormat);
        if (accessLogFormat != dev.llmpool.metrics.AccessLog.Format.OFF) {
            requestMetrics.addListener(new dev.llmpool.metrics.AccessLog(accessLogFormat, mapper));
        }
        // the operations page (routes/ops.camel.yaml): its files and the status JSON it polls
        var recentRequests = new dev.llmpool.ui.RecentRequests(uiShowPrompts);
        requestMetrics.addListener(recentRequests);
        r.bind("uiAssets", new dev.llmpool.ui.UiAssets());
        dev.llmpool.queues.QueueTraffic queueTraffic = new dev.llmpool.queues.QueueTraffic(camel, metrics);
        r.bind("deadLetterCount", queueTraffic.countStep());  // the queue routes' dead-letter copies, for the ops page
        r.bind("opsStatus", new dev.llmpool.ui.OpsStatus(config, health, providerGauges, recentRequests, metrics,
                queueTraffic, mapper));
        config.onChange(providerGauges::apply);
        // the JVM's own meters (jvm_memory_used_bytes, jvm_threads_live_threads, jvm_gc_*, CPU, uptime)
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(metrics);
        var gcMetrics = new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics();
        gcMetrics.bindTo(metrics);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(metrics);
        // --- end of issue 18 ---------------------------------------------------------------------------------------

        // --- Response cache, idempotency keys, coalescing (issue 5) ---------------------------------------------
        // Both keep their entries in a Store: this process's memory (Caffeine), or Redis shared by every instance
        // (pool.cache.backend=redis). Tests may bind a Ticker named "cacheTicker" to move the local clock forward.
        if (cacheTtlSeconds <= 0 || idempotencyTtlSeconds <= 0) {
            throw new IllegalArgumentException("pool.cache.ttl-seconds and pool.idempotency.ttl-seconds must be > 0");
        }
        CacheMetrics cacheMetrics = new CacheMetrics(metrics);
        Store responses;
        Store idempotencyKeys;
        RedisStore sharedRedis = null;  // also holds the tenants' rate limits (issue 17)
        switch (cacheBackend.trim().toLowerCase(Locale.ROOT)) {
            case "caffeine" -> {
                Ticker ticker = r.lookupByNameAndType("cacheTicker", Ticker.class);
                responses = new LocalStore(cacheMaxEntries, ticker != null ? ticker : Ticker.systemTicker());
                idempotencyKeys = new LocalStore(idempotencyMaxEntries, ticker != null ? ticker : Ticker.systemTicker());
            }
            case "redis" -> {
                // optional, empty by default (a @PropertyInject default cannot be empty: Camel reads "" as none)
                String redisPassword = camel.getPropertiesComponent().resolveProperty("pool.redis.password").orElse("");
                RedisStore redis = new RedisStore(redisUrl, redisPassword, redisTimeoutMs, redisRetryMs, redisThreads,
                        cacheMetrics);
                camel.addService(redis);  // closed with the context
                responses = redis;
                idempotencyKeys = redis;
                sharedRedis = redis;
            }
            default -> throw new IllegalArgumentException("pool.cache.backend must be caffeine or redis, got '"
                    + cacheBackend + "'");
        }
        CacheKeys cacheKeys = new CacheKeys();
        ResponseCache responseCache = new ResponseCache(responses, cacheKeys, mapper, cacheMetrics,
                Duration.ofSeconds(cacheTtlSeconds));
        r.bind("responseCache", responseCache);
        r.bind("cacheStore", responseCache.storeStep());
        if (exactRepeats && responses instanceof LocalStore) {
            // The HTTP consumer answers exact repeats of cached requests before the route (ExactRepeats says when);
            // the path is routes/http-api.camel.yaml's for direct:infer
            ExactRepeats repeats = new ExactRepeats("/v1/infer", responseCache::cachedNow, config, requestMetrics,
                    cacheMetrics, cacheMaxEntries, EXACT_REPEAT_MAX_BODY_BYTES);
            responseCache.rememberRepeatsIn(repeats);
            r.bind("exactRepeats", repeats);
        }
        // A repeat waiting on another instance polls the store: on its own thread, not on the ensemble's timers.
        ScheduledThreadPoolExecutor idempotencyPolls = new ScheduledThreadPoolExecutor(1, daemon("llmpool-idempotency"));
        IdempotencyGuard idempotencyGuard = new IdempotencyGuard(idempotencyKeys, cacheKeys, mapper, cacheMetrics,
                Duration.ofSeconds(idempotencyTtlSeconds), idempotencyWaitMs, idempotencyPolls);
        r.bind("idempotencyGuard", idempotencyGuard);
        r.bind("idempotencyRecord", idempotencyGuard.recordStep());
        // --- end of issue 5 --------------------------------------------------------------------------------------

        // --- gRPC API (proto/llmpool/v1/llmpool.proto, routes/grpc-api.camel.yaml) --------------------------
        // The grpc component with server reflection; metadata readable by the route (an interceptor that
        // camel-grpc auto-discovers); proto <-> the HTTP API's JSON around direct:infer (InferStream's tokens come
        // from the ensemble's race: see streamedCall).
        // Each call in flight holds one of these threads (the route runs on the call's thread), as HTTP's workers do.
        ThreadPoolExecutor grpcWorkers = new ThreadPoolExecutor(grpcWorkerThreads, grpcWorkerThreads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemon("llmpool-grpc"));
        grpcWorkers.allowCoreThreadTimeOut(true);
        camel.addComponent("grpc", new dev.llmpool.grpc.ReflectiveGrpcComponent(grpcWorkers));
        r.bind("grpcCallMetadata", new dev.llmpool.grpc.GrpcCallMetadata());
        r.bind("grpcRequest", new dev.llmpool.grpc.GrpcRequestMapper(config, mapper));
        r.bind("grpcCallHeaders", (org.apache.camel.Processor) exchange ->  // Health: the credential, for an admin's report
                dev.llmpool.grpc.GrpcRequestMapper.copyCallHeaders(exchange.getIn()));
        r.bind("grpcReply", new dev.llmpool.grpc.GrpcReplyWriter(mapper));
        // --- end gRPC API ----------------------------------------------------------------------------------

        // --- Access control and tenants (issue 17, dev.llmpool.auth; docs/access-control.md) ---------------------
        dev.llmpool.auth.AccessSetup.bind(camel, config, metrics, sharedRedis, mapper);
        // --- end access control -----------------------------------------------------------------------------

        // --- OpenAI- and Ollama-compatible APIs (issue 14; routes/openai-api.camel.yaml, routes/ollama-api.camel.yaml) ---
        // Thin edges: each maps its request onto the task API's, enters direct:infer (enrich + CoreAnswer, as gRPC
        // does), and maps the answer or error back; streams go straight to the connection (HttpChunkStream).
        r.bind("coreAnswer", new dev.llmpool.api.CoreAnswer());  // every door's: gRPC, OpenAI, Ollama, queues
        r.bind("openAiRequest", new dev.llmpool.openai.OpenAiRequestMapper(config, mapper));
        r.bind("openAiReply", new dev.llmpool.openai.OpenAiReplyWriter(mapper));
        r.bind("openAiModels", new dev.llmpool.openai.OpenAiModels(config, mapper));
        r.bind("ollamaChatRequest", new dev.llmpool.ollama.OllamaRequestMapper(config, mapper, false));
        r.bind("ollamaGenerateRequest", new dev.llmpool.ollama.OllamaRequestMapper(config, mapper, true));
        r.bind("ollamaReply", new dev.llmpool.ollama.OllamaReplyWriter(mapper));
        r.bind("ollamaInfo", new dev.llmpool.ollama.OllamaInfo(config, mapper));
        dev.llmpool.api.InferStream inferStream = new dev.llmpool.api.InferStream(mapper);  // "stream": true on /v1/infer
        r.bind("inferStream", inferStream);
        r.bind("inferStreamEnd", inferStream.end());
        // --- end OpenAI- and Ollama-compatible APIs ---------------------------------------------------------

        // The timer threads (deadlines, hedges, waits for a slot) and Vert.x end with the context, not with the JVM.
        camel.addService(new org.apache.camel.support.service.ServiceSupport() {
            @Override
            protected void doStop() {
                timers.shutdownNow();
                gcMetrics.close();
                retirements.shutdownNow();
                tracing.close(); // the spans not exported yet go out
                embeddings.close();
                if (vertx != null) {
                    vertx.close();
                }
            }
        });

        // --- The HTTP port (issues 7, 13, 23): our own Vert.x front serves every platform-http route -------------
        // A request holds no thread while its backends answer (FrontConsumer runs the route on the event loop), and
        // what no route should see is refused before any route runs, in the path's API shape (HttpFront).
        HttpFront front = new HttpFront(() -> config.current().limits().maxBodyBytes(),
                r.lookupByNameAndType("exactRepeats", ExactRepeats.class));
        r.bind("platform-http-engine", new FrontEngine(front, httpPort));
        FrontLimits frontLimits = new FrontLimits(maxHeaderBytes, maxLineBytes, idleTimeoutMs, headerTimeoutMs,
                maxClientConnections);
        // pool.http.host when set, else camel.server.host (kept for existing configurations), else every interface
        String httpHost = camel.getPropertiesComponent().resolveProperty("pool.http.host")
                .or(() -> camel.getPropertiesComponent().resolveProperty("camel.server.host")).orElse("127.0.0.1");

        // --- Running as a fleet (issue 21, docs/deploy.md): readiness and liveness probes through Camel's health-check
        // API, and the graceful shutdown a SIGTERM starts (Application), which drains the HTTP servers' connections.
        var readiness = new dev.llmpool.lifecycle.PoolReadiness();
        r.bind("poolReadiness", readiness);  // and in Camel's health-check registry once it exists (below)
        r.bind("livenessProbe", dev.llmpool.lifecycle.HealthProbe.liveness(mapper));
        r.bind("readinessProbe", dev.llmpool.lifecycle.HealthProbe.readiness(mapper));
        var drain = new dev.llmpool.lifecycle.ConnectionDrain();
        r.bind("connectionDrain", drain);  // HttpFront puts it in front of its servers
        r.bind("gracefulShutdown", new dev.llmpool.lifecycle.GracefulShutdown(camel, vertx, readiness, drain,
                shutdownGraceMs, () -> config.current().limits().maxDeadlineMs()));
        // --- end of issue 21 -------------------------------------------------------------------------------------

        // Provider routes come from the YAML route template, which exists only once the routes are loaded.
        camel.addStartupListener(new ExtendedStartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                org.apache.camel.health.HealthCheckRegistry.get(context).register(readiness); // issue 21: /health/ready
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) throws Exception {
                providerRoutes.apply(config.current());
                // requests run on their connection's event loop: one loop per core, so routing uses every core
                front.serve(vertx, httpHost, httpPort, eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors(),
                        frontLimits, drain);
                readiness.started();
            }
        });
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
