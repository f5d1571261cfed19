package dev.llmpool.auth;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.cache.RedisStore;
import dev.llmpool.config.ConfigException;
import dev.llmpool.config.ConfigStore;

/**
 * Access control and tenants (issue 17, docs/access-control.md): the beans the routes name: {@code authenticate} and
 * {@code tenantLimits} (routes/infer.camel.yaml), {@code requireAdmin} (any operator route's first step),
 * {@code healthForCaller} (GET /health, gRPC Health). Warns when a port listens beyond loopback with auth off; with
 * auth on, refuses to start a queue door that names no configured tenant.
 */
public class AccessBeans {

    private static final Logger LOG = LoggerFactory.getLogger(AccessBeans.class);

    /** The start-up checks run here, with the access settings the authenticator reads. */
    @BindToRegistry
    public Authenticator authenticate(CamelContext camel, ConfigStore config) throws Exception {
        Supplier<AccessConfig> access = config.part(AccessConfig::load);
        JwksCache jwks = new JwksCache(access);
        camel.addService(jwks);  // its refresher thread starts and stops with the context
        Authenticator authenticator = new Authenticator(access, new JwtVerifier(jwks));
        requireQueueTenant(camel, access.get(), "Kafka", "pool.kafka.bootstrap-servers", "pool.kafka.tenant");
        requireQueueTenant(camel, access.get(), "JMS", "pool.jms.url", "pool.jms.tenant");
        if (!access.get().enabled()) {
            warnIfExposed(camel, "pool.http.host");
            warnIfExposed(camel, "pool.grpc.host");
        }
        return authenticator;
    }

    @BindToRegistry
    public RequireAdmin requireAdmin(Authenticator authenticator) {
        return new RequireAdmin(authenticator);
    }

    /**
     * Each tenant's rate limits: in the shared Redis store when {@code pool.cache.backend=redis} (cache/CacheBeans
     * binds it; the limits are then shared by every instance), else in this process.
     */
    @BindToRegistry
    public TenantLimits tenantLimits(Registry registry, @BeanInject("metricsRegistry") MeterRegistry meters) {
        RedisStore redis = registry.lookupByNameAndType("redisStore", RedisStore.class);
        return new TenantLimits(redis != null ? new RedisBuckets(redis) : new LocalBuckets(), meters);
    }

    @BindToRegistry
    public HealthForCaller healthForCaller(Authenticator authenticator,
                                           @BeanInject("healthReporter") Processor healthReporter) {
        return new HealthForCaller(authenticator, healthReporter, new ObjectMapper());
    }

    /**
     * A queue's messages carry no credential, so with auth on a configured queue door must name the tenant it acts
     * as (its route sets {@code llmpool.tenant} from {@code tenantKey}), and that tenant must exist: start-up fails
     * otherwise, rather than every message being refused.
     */
    private static void requireQueueTenant(CamelContext camel, AccessConfig access, String door, String onKey,
                                           String tenantKey) {
        if (!access.enabled() || property(camel, onKey).isEmpty()) {
            return;
        }
        String tenant = property(camel, tenantKey);
        if (tenant.isEmpty()) {
            throw new ConfigException(tenantKey + " is required: with pool.auth.enabled=true the " + door
                    + " door acts as the tenant it names (its tasks and limits apply)");
        }
        if (access.tenant(tenant) == null) {
            throw new ConfigException(tenantKey + " names tenant '" + tenant + "', which is not configured"
                    + " (pool.tenants." + tenant + ".*)");
        }
    }

    private static String property(CamelContext camel, String key) {
        return camel.getPropertiesComponent().resolveProperty(key).orElse("").trim();
    }

    /** Auth is off: anyone who reaches a port may use it, so a port beyond loopback is worth a warning. */
    private static void warnIfExposed(CamelContext camel, String key) {
        String host = camel.getPropertiesComponent().resolveProperty(key).orElse("127.0.0.1").trim();
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            loopback = false;
        }
        if (!loopback) {
            LOG.warn("event=listening_without_auth {}={} effect=\"anyone who can reach this address may use every task"
                    + " and read /metrics\" fix=\"set pool.auth.enabled=true with tenants, or {}=127.0.0.1\"", key, host, key);
        }
    }
}
