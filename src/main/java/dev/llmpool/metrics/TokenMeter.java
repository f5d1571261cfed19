package dev.llmpool.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.RequestState;
import dev.llmpool.providers.ProviderReply;
import dev.llmpool.routing.Plan;

/**
 * {@code llmpool_tokens_total{provider,task,tenant,direction=prompt|completion}}: the tokens each backend reported
 * for each answer it gave, whether or not that answer won (a VOTING request spends every voter's tokens). The
 * provider route's last step (its body is then the {@link ProviderReply}); the streaming race calls
 * {@link #record} itself. Labels are configured names only: provider, task (from the plan) and tenant.
 */
public class TokenMeter implements Processor {

    public static final String DEFAULT_TENANT = "default";

    private record Key(String provider, String task, String tenant, String direction) {
    }

    private final MeterRegistry registry;
    private final Map<Key, Counter> counters = new ConcurrentHashMap<>();

    public TokenMeter(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void process(Exchange exchange) {
        if (exchange.getIn().getBody() instanceof ProviderReply reply) {
            record(exchange, reply);
        }
    }

    /** Counts the reply's tokens under the exchange's plan (task) and tenant. */
    public void record(Exchange exchange, ProviderReply reply) {
        RequestState state = RequestState.of(exchange);
        Plan plan = state.plan();
        String task = plan == null ? "invalid" : plan.task();
        String tenant = state.tenantOrDefault();
        counter(new Key(reply.provider(), task, tenant, "prompt")).increment(reply.promptTokens());
        counter(new Key(reply.provider(), task, tenant, "completion")).increment(reply.completionTokens());
    }


    private Counter counter(Key k) {
        Counter c = counters.get(k);
        return c != null ? c : counters.computeIfAbsent(k, key -> Counter.builder("llmpool.tokens")
                .description("Tokens the backends reported, by provider, task, tenant and direction")
                .tag("provider", key.provider()).tag("task", key.task()).tag("tenant", key.tenant())
                .tag("direction", key.direction()).register(registry));
    }
}
