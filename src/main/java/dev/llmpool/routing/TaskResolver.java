package dev.llmpool.routing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.ChatMessage;
import dev.llmpool.api.Headers;
import dev.llmpool.api.InferRequest;
import dev.llmpool.api.RequestContextProcessor;
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

    public static final String PLAN = "llmpool.plan";
    /** The strategy's name, for the route's choice. */
    public static final String STRATEGY_NAME = "llmpool.strategyName";
    /**
     * Exchange property (String, internal; no door sets it from caller input): call only this configured provider
     * instead of the task's providers. The evaluation command uses it to measure one provider as a FASTEST request.
     */
    public static final String ONLY_PROVIDER = "llmpool.onlyProvider";

    private final HealthRegistry health;

    public TaskResolver(HealthRegistry health) {
        this.health = health;
    }

    @Override
    public void process(Exchange exchange) {
        PoolConfig config = exchange.getProperty(RequestContextProcessor.CONFIG, PoolConfig.class);
        InferRequest req = exchange.getProperty(Headers.REQUEST, InferRequest.class);
        TaskConfig task = config.task(req.task());
        long started = exchange.getProperty(Headers.STARTED_NANOS, Long.class);
        long deadlineMs = deadlineMs(req, task);

        List<ProviderConfig> usable = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        String only = exchange.getProperty(ONLY_PROVIDER, String.class);
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
        exchange.setProperty(STRATEGY_NAME, strategy.name());
        String prompt = PromptTemplate.render(task.promptTemplate(), req.prompt());
        exchange.setProperty(PLAN, new Plan(
                exchange.getProperty(Headers.REQUEST_ID_PROPERTY, String.class),
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
