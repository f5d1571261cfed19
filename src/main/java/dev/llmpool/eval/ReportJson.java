package dev.llmpool.eval;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The report as JSON ({@code --out}): the table's figures per row plus every case's result, the comparisons, and
 * the data lines that were skipped, for a user's own analysis.
 */
final class ReportJson {

    private ReportJson() {
    }

    static ObjectNode render(ObjectMapper mapper, EvalOptions options, int cases, List<CaseReader.Skipped> skipped,
                             List<EvalRow> rows, List<Comparison> comparisons) {
        ObjectNode root = mapper.createObjectNode();
        root.put("task", options.task());
        root.put("data", options.data().toString());
        root.put("cases", cases);
        root.put("concurrency", options.concurrency());
        ArrayNode skippedLines = root.putArray("skipped_lines");
        skipped.forEach(s -> skippedLines.addObject().put("line", s.line()).put("reason", s.reason()));
        ArrayNode rowNodes = root.putArray("rows");
        for (EvalRow row : rows) {
            ObjectNode r = rowNodes.addObject();
            r.put("name", row.name()).put("kind", row.kind().label());
            r.put("answered", row.answered()).put("correct", row.correct()).put("errors", row.errors());
            if (row.answered() > 0) {
                r.put("accuracy", row.accuracy());
                r.putArray("ci95").add(row.interval().low()).add(row.interval().high());
            } else {
                r.putNull("accuracy");
                r.putNull("ci95");
            }
            r.putObject("latency_ms").put("p50", row.latencyPercentileNanos(50) / 1e6)
                    .put("p95", row.latencyPercentileNanos(95) / 1e6);
            r.putObject("tokens_per_case").put("prompt", row.promptTokensPerCase())
                    .put("completion", row.completionTokensPerCase());
            ObjectNode byStatus = r.putObject("errors_by_status");
            row.errorsByStatus().forEach((status, n) -> byStatus.put(String.valueOf(status), n));
            ArrayNode results = r.putArray("results");
            row.results().forEach(c -> results.add(result(mapper, c)));
        }
        ArrayNode comparisonNodes = root.putArray("comparisons");
        for (Comparison c : comparisons) {
            comparisonNodes.addObject()
                    .put("strategy", c.strategy().name())
                    .put("baseline", c.baseline().name())
                    .put("pairs", c.pairs())
                    .put("only_strategy_right", c.onlyStrategy())
                    .put("only_baseline_right", c.onlyBaseline())
                    .put("difference", c.difference())
                    .put("test", "mcnemar-exact")
                    .put("p_value", c.pValue())
                    .put("significant", c.significant())
                    .put("verdict", c.verdict())
                    .put("summary", ReportTable.line(c));
        }
        return root;
    }

    private static ObjectNode result(ObjectMapper mapper, CaseResult c) {
        ObjectNode n = mapper.createObjectNode();
        n.put("line", c.evalCase().line());
        if (c.evalCase().id() != null) {
            n.put("id", c.evalCase().id());
        }
        n.put("match", c.evalCase().match().label());
        n.put("expected", c.evalCase().expected());
        n.put("request_id", c.requestId());
        n.put("status", c.status());
        n.put("answer", c.answer());
        if (c.correct() == null) {
            n.putNull("correct");
        } else {
            n.put("correct", c.correct());
        }
        n.put("latency_ms", c.nanos() / 1e6);
        if (c.answered()) {
            n.put("winner_provider", c.winnerProvider());
            n.putObject("usage").put("prompt_tokens", c.promptTokens()).put("completion_tokens", c.completionTokens());
        } else {
            n.putObject("error").put("code", c.errorCode()).put("message", c.errorMessage());
        }
        return n;
    }
}
