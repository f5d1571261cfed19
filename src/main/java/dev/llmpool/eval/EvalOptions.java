package dev.llmpool.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.llmpool.ensemble.Strategy;

/**
 * The command line of {@code llm-pool.jar eval}. Parsing checks only what needs no configuration (option names,
 * strategies, numbers); the task and the providers are checked against the configuration by {@link EvalCommand}.
 *
 * @param strategies the strategy rows, in the order given; all five when the option is absent
 * @param providers  the single-provider rows, in the order given; null means the task's own providers
 */
record EvalOptions(String task, Path data, List<Strategy> strategies, List<String> providers, int concurrency,
                   Path out) {

    static final String USAGE = """
            usage: java -jar llm-pool.jar eval --task TASK --data CASES.jsonl [--strategies FASTEST,VOTING,...]
                   [--providers NAME,NAME] [--concurrency 4] [--out RESULTS.json]
            Runs every case of CASES.jsonl (one {"prompt": "...", "expected": "...", "match": "exact|normalised|json|regex"}
            per line) under each strategy and each single provider of TASK, with application.properties in the working
            directory, and prints accuracy, latency, tokens and errors per row.""";

    /** A command line that cannot be run; the message says why. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message, null, false, false);
        }
    }

    static EvalOptions parse(String[] args) throws UsageException {
        String task = null;
        Path data = null;
        Path out = null;
        List<Strategy> strategies = List.of(Strategy.values());
        List<String> providers = null;
        int concurrency = 4;
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (name.equals("--help") || name.equals("-h")) {
                throw new UsageException("");
            }
            if (!name.startsWith("--")) {
                throw new UsageException("unexpected argument '" + name + "'");
            }
            if (i + 1 >= args.length) {
                throw new UsageException(name + " needs a value");
            }
            String value = args[++i];
            switch (name) {
                case "--task" -> task = value;
                case "--data" -> data = Path.of(value);
                case "--out" -> out = Path.of(value);
                case "--strategies" -> strategies = strategies(value);
                case "--providers" -> providers = names(value, "--providers");
                case "--concurrency" -> concurrency = concurrency(value);
                default -> throw new UsageException("unknown option '" + name + "'");
            }
        }
        if (task == null || task.isBlank()) {
            throw new UsageException("--task is required");
        }
        if (data == null) {
            throw new UsageException("--data is required");
        }
        return new EvalOptions(task, data, strategies, providers, concurrency, out);
    }

    private static List<Strategy> strategies(String value) throws UsageException {
        List<Strategy> list = new ArrayList<>();
        for (String name : names(value, "--strategies")) {
            Strategy s = Strategy.parse(name).orElseThrow(() -> new UsageException("unknown strategy '" + name
                    + "' (known: FASTEST, VOTING, WEIGHTED, CONSENSUS, JUDGE)"));
            if (!list.contains(s)) {
                list.add(s);
            }
        }
        return List.copyOf(list);
    }

    /** A comma-separated list; empty entries are an error, an empty list is allowed (no rows of that kind). */
    private static List<String> names(String value, String option) throws UsageException {
        List<String> list = new ArrayList<>();
        if (value.isBlank()) {
            return list;
        }
        for (String part : value.split(",", -1)) {
            String name = part.trim();
            if (name.isEmpty()) {
                throw new UsageException(option + " has an empty name in '" + value + "'");
            }
            if (!list.contains(name)) {
                list.add(name);
            }
        }
        return list;
    }

    private static int concurrency(String value) throws UsageException {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1 && n <= 1024) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--concurrency must be an integer from 1 to 1024, got '" + value + "'");
    }
}
