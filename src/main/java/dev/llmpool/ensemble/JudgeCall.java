package dev.llmpool.ensemble;

import dev.llmpool.providers.CallProperties;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.RequestState;
import dev.llmpool.providers.ProviderCall;
import dev.llmpool.routing.Plan;
import dev.llmpool.routing.PromptTemplate;
import dev.llmpool.routing.ProviderRoutes;

/**
 * After gathering: with two or more candidates, prepares the judge's call ({@code prompts/judge.md} with the
 * request and the numbered candidates, JSON output); with fewer there is nothing to judge.
 */
public class JudgeCall implements Processor {

    /** Set only when the judge is to be called: the judge provider's name. */
    public static final String JUDGE_PROVIDER = "llmpool.judgeProvider";
    /** Set with it: the endpoint of the judge provider's live route. */
    public static final String JUDGE_ENDPOINT = "llmpool.judgeEndpoint";

    private final ProviderRoutes routes;

    public JudgeCall(ProviderRoutes routes) {
        this.routes = routes;
    }

    @Override
    public void process(Exchange exchange) {
        BackendWait wait = exchange.getProperty(JudgeCandidates.BACKEND_WAIT, BackendWait.class);
        wait.callEnded(); // the candidates are in
        exchange.removeProperty(JUDGE_PROVIDER);
        exchange.removeProperty(JUDGE_ENDPOINT);
        exchange.removeProperty(CallProperties.CALL);
        Plan plan = RequestState.of(exchange).plan();
        Tally tally = exchange.getProperty(EnsembleStrategy.TALLY, Tally.class);
        List<Attempt> candidates = tally == null ? List.of() : JudgeStrategy.candidates(tally);
        if (candidates.size() < 2 || plan.judge() == null) {
            return;
        }
        StringBuilder numbered = new StringBuilder();
        for (int i = 0; i < candidates.size(); i++) {
            numbered.append("[").append(i + 1).append("]\n").append(candidates.get(i).reply().content().strip())
                    .append("\n\n");
        }
        String prompt = PromptTemplate.render(plan.judgePrompt(), plan.userPrompt())
                .replace("{{candidates}}", numbered.toString().strip());
        exchange.setProperty(CallProperties.CALL, new ProviderCall(plan.requestId(), plan.judge(), prompt, 200, 0.0,
                com.fasterxml.jackson.databind.node.TextNode.valueOf("json"), plan.deadlineNanos()));
        exchange.setProperty(JUDGE_PROVIDER, plan.judge().name());
        exchange.setProperty(JUDGE_ENDPOINT, routes.endpointOf(plan.judge().name()));
        wait.callStarted(); // the judge's call
    }
}
