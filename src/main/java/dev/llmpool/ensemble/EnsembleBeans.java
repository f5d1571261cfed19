package dev.llmpool.ensemble;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.BeanInject;
import org.apache.camel.BindToRegistry;
import org.apache.camel.PropertyInject;

import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.lifecycle.DaemonThreads;
import dev.llmpool.routing.ProviderCalls;
import dev.llmpool.routing.ProviderRoutes;

/** The ensemble: a request's race over its providers, the strategies that decide it, and JUDGE's steps. */
public class EnsembleBeans {

    private final ObjectMapper mapper = new ObjectMapper();

    /** Per-provider outcomes and latencies, which WEIGHTED and the race's order read. */
    @BindToRegistry
    public ProviderStats providerStats(@BeanInject("metricsRegistry") MeterRegistry metrics) {
        return new ProviderStats(metrics);
    }

    /**
     * Answers compared by meaning (similarity=semantic, docs/routing.md "Semantic voting"): embedded on a pool of
     * their own (closed with the context, PoolBeans), the model loaded ahead only when a task asks for it.
     */
    @BindToRegistry
    public AnswerEmbeddings answerEmbeddings(
            @PropertyInject(value = "pool.similarity.threads", defaultValue = "2") int similarityThreads,
            @BeanInject("metricsRegistry") MeterRegistry metrics, ConfigStore config) {
        AnswerEmbeddings embeddings = new AnswerEmbeddings(similarityThreads, DaemonThreads.named("llmpool-similarity"),
                metrics);
        Consumer<PoolConfig> warmIfSemantic = c -> {
            if (c.tasks().values().stream().anyMatch(t -> t.similarity() == Similarity.SEMANTIC)) {
                embeddings.warmUp();
            }
        };
        warmIfSemantic.accept(config.current());
        config.onChange(warmIfSemantic);
        return embeddings;
    }

    @BindToRegistry
    public EnsembleProcessor ensemble(ProviderCalls calls, @BeanInject("eventLoopTimers") EventLoopTimers timers,
                                      ProviderStats stats, AnswerEmbeddings embeddings) {
        return new EnsembleProcessor(calls, timers, stats, List.of(new FirstCompletedStrategy(),
                new VotingStrategy(), new WeightedStrategy(stats), new ConsensusStrategy(), new JudgeStrategy()),
                embeddings);
    }

    @BindToRegistry
    public JudgeCandidates judgeCandidates(ProviderRoutes providerRoutes) {
        return new JudgeCandidates(providerRoutes);
    }

    @BindToRegistry
    public JudgeStrategy judgeStrategy() {
        return new JudgeStrategy();
    }

    /** JUDGE's Multicast starts its branches on these; a branch gives its thread back once its call is sent. */
    @BindToRegistry
    public ExecutorService candidateCalls() {
        return Executors.newFixedThreadPool(4, DaemonThreads.named("llmpool-judge"));
    }

    @BindToRegistry
    public JudgeCall judgeCall(ProviderRoutes providerRoutes) {
        return new JudgeCall(providerRoutes);
    }

    @BindToRegistry
    public JudgeVerdict judgeVerdict() {
        return new JudgeVerdict(mapper);
    }
}
