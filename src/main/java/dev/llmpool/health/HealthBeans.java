package dev.llmpool.health;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.client.WebClientOptions;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

import dev.llmpool.config.ConfigStore;
import dev.llmpool.resilience.ProviderGuards;

/**
 * The providers' health: the checks the health route runs and the /health report. The state both read and write
 * (HealthRegistry) is one of the pool's shared beans (PoolBeans), as the breakers write it too.
 */
public class HealthBeans {

    private final ObjectMapper mapper = new ObjectMapper();

    /** Health checks: a connection per check, none kept open (an engine's HTTP threads are for calls). */
    @BindToRegistry
    public WebClientOptions healthClientOptions(
            @PropertyInject(value = "pool.http.connect-timeout-ms", defaultValue = "1000") long connectTimeoutMs) {
        return new WebClientOptions()
                .setConnectTimeout((int) connectTimeoutMs)
                .setKeepAlive(false)
                .setUserAgentEnabled(false);
    }

    @BindToRegistry
    public HealthChecker healthChecker(CamelContext camel, ConfigStore config,
                                       @BeanInject("healthRegistry") HealthRegistry health, ProviderGuards guards,
                                       @PropertyInject(value = "pool.health.timeout-ms", defaultValue = "1000") long timeoutMs) {
        return new HealthChecker(config, health, camel.createProducerTemplate(), mapper, timeoutMs, guards::inFlight);
    }

    @BindToRegistry
    public HealthReporter healthReporter(ConfigStore config, @BeanInject("healthRegistry") HealthRegistry health,
                                         ProviderGuards guards) {
        return new HealthReporter(config, health, mapper, guards);
    }
}
