package dev.llmpool.routing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.ChatMessage;
import dev.llmpool.api.InferRequest;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.TaskConfig;
import dev.llmpool.ensemble.Strategy;
import dev.llmpool.health.HealthRegistry;

/**
 * Resolves the request's task into a {@link Plan}: the task's providers in order of preference (those known
 * to be down are left out, so a dead pool answers 503 at once), the strategy (the caller's or the task's),
 * the prompt rendered into the task's template, and the absolute deadline.
 */
public class TaskResolver implements Processor {


    private final HealthRegistry health;

    public TaskResolver(HealthRegistry health) {
        this.health = health;
    }

    @Override
    public void process(Exchange exchange) {
        RequestState state = RequestState.of(exchange);
        PoolConfig config = state.config();
        InferRequest req = state.request();
        TaskConfig task = config.task(req.task());
        long started = state.startedNanos();
        long deadlineMs = deadlineMs(req, task);

        List<ProviderConfig> usable = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        String only = state.onlyProvider();
        for (String name : only != null ? List.of(only) : task.providers()) {
            String down = config.provider(name) == null ? "not configured" : health.downReason(name);
            if (down == null) {
                usable.add(config.provider(name));
            } else {
                skipped.put(name, down);
            }
        }
        if (usable.isEmpty()) {
            throw new ApiException(503, "no_provider_available",
                    "no provider of task '" + task.name() + "' is available", null, Map.of("providers", skipped));
        }
        ProviderConfig judge = task.judge() == null ? null : config.provider(task.judge());
        Strategy strategy = req.strategy() != null ? req.strategy() : task.strategy();
        String prompt = PromptTemplate.render(task.promptTemplate(), req.prompt());
        state.setPlan(new Plan(
                state.requestId(),
                task.name(),
                strategy,
                List.copyOf(usable),
                judge,
                config.judgePrompt(),
                prompt,
                req.prompt(),
                req.maxTokens() != null ? req.maxTokens() : task.maxTokens(),
                req.temperature(),
                req.format(),
                task.hedgeAfterMs(),
                task.consensusThreshold(),
                started,
                started + deadlineMs * 1_000_000L,
                Map.copyOf(skipped),
                req.messages() == null ? null : ChatMessage.withLastUserContent(req.messages(), prompt),
                task.similarity(),
                task.similarityThreshold(),
                req.sampling()));
    }

    /** The request's time budget in milliseconds: the caller's {@code deadline_ms}, or the task's. */
    public static long deadlineMs(InferRequest req, TaskConfig task) {
        return req.deadlineMs() != null ? req.deadlineMs() : task.deadlineMs();
    }
}
