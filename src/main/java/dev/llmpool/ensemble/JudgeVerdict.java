package dev.llmpool.ensemble;

import dev.llmpool.providers.CallProperties;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.RequestState;
import dev.llmpool.providers.ProviderReply;
import dev.llmpool.routing.Plan;

/**
 * Reads the judge's answer {@code {"choice": n, "reason": "..."}} and returns candidate n. A judge that failed,
 * timed out or answered something else does not fail the request: the best candidate by weight is returned
 * and {@code judge.skipped} says why.
 */
public class JudgeVerdict implements Processor {

    private final ObjectMapper mapper;
    private final JudgeStrategy strategy = new JudgeStrategy();

    public JudgeVerdict(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) {
        RequestState state = RequestState.of(exchange);
        BackendWait wait = exchange.getProperty(JudgeCandidates.BACKEND_WAIT, BackendWait.class);
        wait.callEnded(); // the judge answered (or was not called)
        state.setBackendWaitNanos(wait.nanos());
        Plan plan = state.plan();
        Tally tally = exchange.getProperty(EnsembleStrategy.TALLY, Tally.class);
        if (tally == null) {
            tally = new Tally(plan);
        }
        // The candidates' window (a share of the budget) counts as the deadline for them: 504, not 503.
        Long window = exchange.getProperty(CallProperties.BRANCH_DEADLINE, Long.class);
        boolean deadlinePassed = System.nanoTime() >= (window != null ? window : plan.deadlineNanos());
        UsageTotal total = UsageTotal.of(tally);
        if (exchange.getIn().getBody() instanceof ProviderReply verdict) {
            total = total.plus(verdict); // the judge's own call is part of what the request cost
        }
        state.setUsage(total);
        Outcome fallback = decideCandidates(tally, deadlinePassed, window, plan); // 503/504 when there is no candidate
        List<Attempt> candidates = JudgeStrategy.candidates(tally);
        String judgeProvider = exchange.getProperty(JudgeCall.JUDGE_PROVIDER, String.class);
        Map<String, Object> judge = new LinkedHashMap<>();
        judge.put("model", plan.judge() == null ? null : plan.judge().model());
        if (judgeProvider == null) {
            judge.put("skipped", true);
            judge.put("reason", candidates.size() < 2 ? "fewer than two candidates" : "no judge configured");
        } else if (exchange.getIn().getBody() instanceof ProviderReply verdict) {
            Integer choice = choice(verdict.content(), candidates.size(), judge);
            if (choice != null) {
                ProviderReply winner = candidates.get(choice - 1).reply();
                state.setOutcome(new Outcome(winner, Strategy.JUDGE, models(plan), false, null, null,
                        judge, total));
                return;
            }
        } else {
            Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
            judge.put("skipped", true);
            judge.put("reason", "judge failed: " + FailureReasons.describe(e));
        }
        state.setOutcome(new Outcome(fallback.winner(), Strategy.JUDGE, models(plan), false, null,
                null, judge, total));
    }

    /**
     * The strategy's fallback over the candidates. Its 504 names the time the candidates really had: their window,
     * the share of the deadline left before the judge's turn, not the whole deadline.
     */
    private Outcome decideCandidates(Tally tally, boolean deadlinePassed, Long window, Plan plan) {
        try {
            return strategy.decide(tally, deadlinePassed);
        } catch (dev.llmpool.api.ApiException e) {
            if (e.status() != 504 || window == null || window >= plan.deadlineNanos()) {
                throw e;
            }
            throw new dev.llmpool.api.ApiException(504, e.code(), "no candidate answer within the "
                    + (window - plan.startedNanos()) / 1_000_000 + " ms the candidates had (the judge keeps the rest of"
                    + " the deadline of " + (plan.deadlineNanos() - plan.startedNanos()) / 1_000_000 + " ms)",
                    null, e.details());
        }
    }

    /** The 1-based choice, or null (with judge.skipped and the reason filled in) when the answer is unusable. */
    private Integer choice(String content, int count, Map<String, Object> judge) {
        JsonNode verdict = null;
        int from = content.indexOf('{');
        int to = content.lastIndexOf('}');
        if (from >= 0 && to > from) {
            try {
                verdict = mapper.readTree(content.substring(from, to + 1));
            } catch (Exception e) {
                verdict = null;
            }
        }
        JsonNode choice = verdict == null ? null : verdict.get("choice");
        if (choice == null || !choice.canConvertToInt() || choice.asInt() < 1 || choice.asInt() > count) {
            judge.put("skipped", true);
            judge.put("reason", "judge answer unusable: expected {\"choice\": 1.." + count + ", \"reason\": ...}");
            return null;
        }
        judge.put("choice", choice.asInt());
        judge.put("reason", verdict.path("reason").asText(""));
        return choice.asInt();
    }

    private static List<String> models(Plan plan) {
        List<String> models = new java.util.ArrayList<>(plan.providers().stream().map(p -> p.model()).toList());
        if (plan.judge() != null) {
            models.add(plan.judge().model());
        }
        return models;
    }
}
