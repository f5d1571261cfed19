package dev.llmpool.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;

import dev.llmpool.ensemble.Strategy;

/**
 * Runs every case under each row: a strategy over the task's providers (the request's {@code strategy}), or one
 * provider alone (a FASTEST request narrowed to it). Rows run one after another, each with up to its
 * {@link RowPlan#inFlight} requests at once, so a row's latencies are measured under the same load as the others'.
 * Every request asks for {@code "cache": false}: an evaluation measures the models, never the cache.
 */
final class Evaluation {

    /**
     * One row to run.
     *
     * @param provider null for a strategy row, else the one provider a FASTEST request is narrowed to
     * @param inFlight requests at once (at most the smallest {@code max-concurrency} of the row's providers, which
     *                 would refuse more as busy)
     */
    record RowPlan(String name, EvalRow.Kind kind, Strategy strategy, String provider, int inFlight) {
    }

    private final InProcessPool pool;
    private final String task;
    private final List<EvalCase> cases;
    private final ProgressBar progress;

    Evaluation(InProcessPool pool, String task, List<EvalCase> cases, ProgressBar progress) {
        this.pool = pool;
        this.task = task;
        this.cases = cases;
        this.progress = progress;
    }

    List<EvalRow> run(List<RowPlan> plans) throws InterruptedException {
        List<EvalRow> rows = new ArrayList<>();
        for (RowPlan plan : plans) {
            ExecutorService callers = Executors.newFixedThreadPool(plan.inFlight(), r -> {
                Thread t = new Thread(r, "llmpool-eval");
                t.setDaemon(true);
                return t;
            });
            try {
                rows.add(row(callers, plan));
            } finally {
                callers.shutdownNow();
            }
        }
        return rows;
    }

    private EvalRow row(ExecutorService callers, RowPlan plan) throws InterruptedException {
        List<Future<CaseResult>> pending = new ArrayList<>();
        for (EvalCase c : cases) {
            pending.add(callers.submit(() -> {
                try {
                    return ask(c, plan.name(), plan.strategy(), plan.provider());
                } finally {
                    progress.advance(plan.name());
                }
            }));
        }
        List<CaseResult> results = new ArrayList<>();
        for (Future<CaseResult> f : pending) {
            try {
                results.add(f.get());
            } catch (ExecutionException e) {
                throw new IllegalStateException("evaluation request failed: " + e.getCause(), e.getCause());
            }
        }
        return new EvalRow(plan.name(), plan.kind(), List.copyOf(results));
    }

    private CaseResult ask(EvalCase c, String row, Strategy strategy, String provider) throws Exception {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("task", task);
        request.put("prompt", c.prompt());
        request.put("strategy", strategy.name());
        request.put("cache", false);
        String requestId = ("eval-" + row + "-" + c.line()).replaceAll("[^A-Za-z0-9._:-]", "_");
        InProcessPool.Reply reply = pool.infer(request, requestId, provider);
        JsonNode body = reply.body();
        if (reply.status() == 200) {
            String answer = body.path("content").asText("");
            return new CaseResult(c, requestId, 200, answer, c.isCorrect(answer), reply.nanos(),
                    body.path("usage").path("prompt_tokens").asLong(), body.path("usage").path("completion_tokens").asLong(),
                    body.path("winner_provider").asText(null), null, null);
        }
        JsonNode error = body.path("error");
        return new CaseResult(c, requestId, reply.status(), null, null, reply.nanos(), 0, 0, null,
                error.path("code").asText(null), error.path("message").asText(null));
    }
}
