package dev.llmpool.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.ProviderConfig;

/**
 * The route's {@code fit-context} step: leaves out of the plan the providers whose context window
 * ({@code pool.providers.<name>.context-tokens}) the request does not fit, each with the reason in the plan's
 * {@code skipped} (so it shows in an error's {@code providers} map). When none fits, the request can never be
 * served by this task: 413 {@code prompt_too_long_for_task}. The prompt is counted only when some provider of the
 * plan has a window, once per distinct model.
 */
public class ContextFit implements Processor {

    @Override
    public void process(Exchange exchange) {
        RequestState state = RequestState.of(exchange);
        Plan plan = state.plan();
        if (plan.providers().stream().allMatch(p -> p.contextTokens() == 0)) {
            return;
        }
        Map<String, Integer> neededByModel = new HashMap<>();
        List<ProviderConfig> fitting = new ArrayList<>();
        Map<String, String> tooSmall = new LinkedHashMap<>();
        for (ProviderConfig p : plan.providers()) {
            if (p.contextTokens() == 0) {
                fitting.add(p);
                continue;
            }
            int needed = neededByModel.computeIfAbsent(p.model(),
                    model -> PromptTokens.needed(model, plan.prompt(), plan.messages(), plan.maxTokens()));
            if (p.fits(needed)) {
                fitting.add(p);
            } else {
                tooSmall.put(p.name(), "prompt too long for its context window: " + needed
                        + " tokens needed (max_tokens " + plan.maxTokens() + " included), " + p.contextTokens() + " available");
            }
        }
        if (tooSmall.isEmpty()) {
            return;
        }
        Plan narrowed = plan.narrowedTo(fitting, tooSmall);
        if (fitting.isEmpty()) {
            throw new ApiException(413, "prompt_too_long_for_task", "the prompt and max_tokens fit the context window of"
                    + " no provider of task '" + plan.task() + "'", null, Map.of("providers", narrowed.skipped()));
        }
        state.setPlan(narrowed);
    }
}
