package dev.llmpool.ensemble;

import dev.llmpool.providers.CallProperties;
import java.util.stream.Collectors;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.RequestState;
import dev.llmpool.routing.Plan;
import dev.llmpool.routing.ProviderRoutes;

/**
 * Before gathering JUDGE's candidates: names the provider routes to multicast to, and gives the candidates
 * {@value #CANDIDATE_SHARE} of the remaining budget so the judge has time left to read them.
 */
public class JudgeCandidates implements Processor {

    public static final String ENDPOINTS = "llmpool.candidateEndpoints";
    static final double CANDIDATE_SHARE = 0.6;
    /** Exchange property: the request's {@link BackendWait}, from gathering to the judge's answer. */
    static final String BACKEND_WAIT = "llmpool.backendWait";

    private final ProviderRoutes routes;

    public JudgeCandidates(ProviderRoutes routes) {
        this.routes = routes;
    }

    @Override
    public void process(Exchange exchange) {
        Plan plan = RequestState.of(exchange).plan();
        long now = System.nanoTime();
        long candidatesUntil = now + (long) ((plan.deadlineNanos() - now) * CANDIDATE_SHARE);
        exchange.setProperty(CallProperties.BRANCH_DEADLINE, candidatesUntil);
        BackendWait wait = new BackendWait(); // the candidates are being gathered: waiting on backends
        wait.callStarted();
        exchange.setProperty(BACKEND_WAIT, wait);
        exchange.setProperty(ENDPOINTS, plan.providers().stream()
                .map(p -> routes.endpointOf(p.name())).collect(Collectors.joining(",")));
    }
}
