package dev.llmpool.providers;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.RequestState;
import dev.llmpool.routing.Plan;

/**
 * First step of a provider route: when the sender (a Multicast branch) brought only the plan, derives this
 * provider's call from it; a sender that prepared its own call (the fan-out, the judge) keeps it.
 */
public class ProviderCallPreparer implements Processor {


    @Override
    public void process(Exchange exchange) {
        String name = exchange.getProperty(CallProperties.PROVIDER, String.class);
        ProviderCall existing = exchange.getProperty(CallProperties.CALL, ProviderCall.class);
        ProviderCall call = existing != null && existing.provider().name().equals(name) ? existing : fromPlan(exchange, name);
        exchange.setProperty(CallProperties.CALL, call);
        // Checked before the circuit breaker: a spent budget is the caller's, not a backend failure to count.
        if (call.remainingMillis() <= 0) {
            throw new DeadlineExceededException("deadline passed before calling " + name);
        }
    }

    private static ProviderCall fromPlan(Exchange exchange, String name) {
        Plan plan = RequestState.of(exchange).plan();
        var provider = plan.providers().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("provider " + name + " is not in the plan"));
        Long branchDeadline = exchange.getProperty(CallProperties.BRANCH_DEADLINE, Long.class);
        return new ProviderCall(plan.requestId(), provider, plan.prompt(), plan.maxTokens(), plan.temperature(),
                plan.format(), branchDeadline != null ? branchDeadline : plan.deadlineNanos(), plan.messages(),
                plan.sampling());
    }
}
