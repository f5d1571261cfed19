package dev.llmpool.eval;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.llmpool.config.ConfigException;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.TaskConfig;
import dev.llmpool.ensemble.Strategy;

/**
 * {@code java -jar llm-pool.jar eval ...}: evaluates a task's strategies and providers on labelled cases (README
 * "Evaluation"). Exit codes: 0 when the evaluation ran (whatever its errors per case), 2 for a command line, data
 * file, task or provider that cannot be used (reported before any model is called), 1 when the pool failed.
 */
public final class EvalCommand {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int BAD_INPUT = 2;
    /** How long requests wait for the first health check of every provider at most. */
    private static final Duration HEALTH_WAIT = Duration.ofSeconds(15);

    private final ObjectMapper mapper = new ObjectMapper();
    private final PrintStream out;
    private final PrintStream err;

    EvalCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** The entry point {@code Application.main} hands {@code eval}'s arguments to; exits with the run's code. */
    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            // the service's log lines go to stderr, warnings only: stdout is the report's
            System.setProperty("log4j2.configurationFile", "log4j2-eval.properties");
        }
        System.exit(new EvalCommand(System.out, System.err).run(args, new Properties()));
    }

    /** Runs an evaluation; {@code overrides} win over the configuration (tests point it at their backends). */
    int run(String[] args, Properties overrides) {
        EvalOptions options;
        try {
            options = EvalOptions.parse(args);
        } catch (EvalOptions.UsageException e) {
            if (!e.getMessage().isEmpty()) {
                err.println("eval: " + e.getMessage());
            }
            err.println(EvalOptions.USAGE);
            return BAD_INPUT;
        }
        CaseReader.Result data;
        try {
            data = new CaseReader(mapper).read(options.data());
        } catch (NoSuchFileException e) {
            err.println("eval: no such data file: " + options.data());
            return BAD_INPUT;
        } catch (IOException e) {
            err.println("eval: cannot read " + options.data() + ": " + e.getMessage());
            return BAD_INPUT;
        }
        for (CaseReader.Skipped s : data.skipped()) {
            err.println(options.data() + ":" + s.line() + ": skipped: " + s.reason());
        }
        if (data.cases().isEmpty()) {
            err.println("eval: " + options.data() + " has no usable case");
            return BAD_INPUT;
        }
        try {
            PoolConfig config = InProcessPool.readConfig(overrides);
            TaskConfig task = config.task(options.task());
            if (task == null) {
                err.println("eval: unknown task '" + options.task() + "' (known: "
                        + String.join(", ", new TreeSet<>(config.tasks().keySet())) + ")");
                return BAD_INPUT;
            }
            List<String> providers = options.providers() != null ? options.providers() : task.providers();
            for (String p : providers) {
                if (config.provider(p) == null) {
                    err.println("eval: unknown provider '" + p + "' (known: "
                            + String.join(", ", new TreeSet<>(config.providers().keySet())) + ")");
                    return BAD_INPUT;
                }
            }
            try (InProcessPool pool = InProcessPool.start(overrides, config, mapper)) {
                return evaluate(pool, options, data, providers);
            }
        } catch (ConfigException e) {
            err.println("eval: invalid configuration: " + e.getMessage());
            return BAD_INPUT;
        } catch (Exception e) {
            err.println("eval: failed: " + e);
            return FAILED;
        }
    }

    /**
     * Requests at once for a row over these providers: {@code --concurrency}, but no more than the smallest
     * {@code max-concurrency} among them: more would only queue for a slot inside the pool, and the row's latency
     * would measure the evaluation's own load, not the models. Said on stderr when it lowers the figure.
     */
    private int inFlight(int concurrency, List<String> providers, PoolConfig config) {
        ProviderConfig narrowest = providers.stream().map(config::provider)
                .min(java.util.Comparator.comparingInt(ProviderConfig::maxConcurrency)).orElseThrow();
        if (narrowest.maxConcurrency() >= concurrency) {
            return concurrency;
        }
        err.println("eval: " + narrowest.maxConcurrency() + " requests at once over " + String.join(",", providers)
                + " (--concurrency " + concurrency + " is above " + narrowest.name() + "'s max-concurrency)");
        return narrowest.maxConcurrency();
    }

    private int evaluate(InProcessPool pool, EvalOptions options, CaseReader.Result data, List<String> providers)
            throws Exception {
        PoolConfig config = pool.config();
        TaskConfig task = config.task(options.task());
        if (task == null) {  // the file changed since it was read above
            err.println("eval: task '" + options.task() + "' is no longer configured");
            return BAD_INPUT;
        }
        JsonNode health = pool.awaitFirstHealthCheck(HEALTH_WAIT);
        for (JsonNode p : health.path("providers")) {
            err.println("provider " + p.path("name").asText() + " (" + p.path("model").asText() + "): "
                    + p.path("status").asText() + (p.hasNonNull("last_error") ? " " + p.path("last_error").asText() : ""));
        }
        if (options.strategies().contains(Strategy.JUDGE) && task.judge() == null) {
            err.println("eval: task '" + task.name() + "' names no judge (pool.tasks." + task.name() + ".judge): its "
                    + "JUDGE row gets the candidate of the heaviest provider, unjudged");
        }
        List<Evaluation.RowPlan> plans = new ArrayList<>();
        for (Strategy s : options.strategies()) {
            plans.add(new Evaluation.RowPlan(s.name(), EvalRow.Kind.STRATEGY, s, null,
                    inFlight(options.concurrency(), task.providers(), config)));
        }
        for (String p : providers) {
            plans.add(new Evaluation.RowPlan(p, EvalRow.Kind.PROVIDER, Strategy.FASTEST, p,
                    inFlight(options.concurrency(), List.of(p), config)));
        }
        int requests = data.cases().size() * plans.size();
        Evaluation evaluation = new Evaluation(pool, task.name(), data.cases(), new ProgressBar(err, requests));
        List<EvalRow> rows = evaluation.run(plans);
        List<Comparison> comparisons = new ArrayList<>();
        EvalRow best = Comparison.bestProvider(rows);
        if (best != null) {
            rows.stream().filter(r -> r.kind() == EvalRow.Kind.STRATEGY).forEach(r -> comparisons.add(Comparison.of(r, best)));
        }
        ReportTable.print(out, task.name(), data.cases().size(), rows, comparisons);
        out.flush();
        if (options.out() != null) {
            Files.writeString(options.out(), mapper.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(
                    ReportJson.render(mapper, options, data.cases().size(), data.skipped(), rows, comparisons)));
            err.println("eval: wrote " + options.out());
        }
        return OK;
    }
}
