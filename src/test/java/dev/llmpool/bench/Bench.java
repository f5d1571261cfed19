package dev.llmpool.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipFile;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.llmpool.startup.FreePorts;

/**
 * The performance benchmark (issue 7): starts a {@link FastBackend} and the pool as separate processes, drives
 * them with wrk over loopback, and compares every figure with the same backend called directly in the same
 * run. Prints a table with each figure beside its target and writes the figures as JSON.
 *
 * <p>{@code bash bench/run.sh [--quick|--smoke] [--runs N] [--out FILE] [--cells a,b,c]}; see docs/performance.md.
 * Cells: {@link #DEFAULT_CELLS} unless {@code --cells} names others ({@code all} for every one).
 */
public final class Bench {

    /**
     * How much to measure: repetitions, seconds per cell, seconds per warm-up round and the most rounds,
     * concurrencies, the in-flight run's size.
     */
    record Mode(String name, int runs, int cellSeconds, int warmupSeconds, int maxWarmupRounds, int[] concurrencies,
                int inflight, long slowMs) {
    }

    static final Mode FULL = new Mode("full", 3, 8, 12, 10, new int[] {1, 16, 64}, 2000, 5000);
    static final Mode QUICK = new Mode("quick", 1, 2, 4, 12, new int[] {1, 16, 64}, 2000, 5000);
    /** A few seconds per cell kind, to prove the harness still works (CI); its figures mean nothing. */
    static final Mode SMOKE = new Mode("smoke", 1, 1, 1, 1, new int[] {1, 64}, 50, 1000);
    /** Warm-up ends when the JIT compilers used less than this share of one core in a round. */
    static final double JIT_QUIET = 0.05;

    /** Every cell, in the order they run; {@code --cells} picks some. */
    static final List<String> ALL_CELLS = List.of("latency", "inflight", "doors", "auth", "log", "ttft", "streams",
            "hedge", "kafka", "burst", "admission", "semantic", "tracing", "targets");
    /** What a run without {@code --cells} measures (the cells of issue 7; BenchSmokeIT runs these). */
    static final Set<String> DEFAULT_CELLS = Set.of("latency", "inflight");

    static final String MODEL = "bench-model";
    static final String PROMPT = "Say ok.";
    /** The streaming engines' pace (issue 14: a token every 20 ms). */
    static final long TOKEN_MS = 20;
    /** The held streams' engine: slow, so that they stay open while the service's memory is read. */
    static final long HELD_TOKEN_MS = 500;
    /** Streams of 12 s: the RSS is read once all have opened (their count is reported). */
    static final int HELD_TOKENS = 24;
    static final long HELD_DEADLINE_MS = 60_000;
    /** Hedging: the first provider starts generating after this, the pool hedges to the second after HEDGE_AFTER_MS. */
    static final long HEDGE_SLOW_START_MS = 300;
    static final long HEDGE_AFTER_MS = 50;
    static final String STREAM_TASK = "stream20";
    static final String HELD_TASK = "held";
    static final String HEDGE_TASK = "hedged";
    /** The admission cell's backend: as issue 19's admission test has it. */
    static final long ADMISSION_BACKEND_MS = 20;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    final Mode mode;
    final Path jar;
    private final Path out;
    final List<String> serviceJvm;
    /** BENCH_SERVICE_OPTS alone: the reference proxy runs with them, not with the service's class data archive. */
    private final List<String> proxyJvm;
    final Path work;
    final Wrk wrk;
    final Samples samples = new Samples();
    private final List<String> loadAverages = new ArrayList<>();
    /** How long a helper process (backend, bare proxy, broker) may live at most. */
    private static final long HELPER_MAX_SECONDS = 6 * 3600;
    private final Set<String> cells;
    /** The test class path that holds Kafka's broker (kafka_2.13), for the kafka cell; empty: not given. */
    private final String kafkaClassPath;
    int backend0;
    int backend50;
    /** The admission cell's 20 ms backend. */
    int backend20;
    private int backendSlow;
    /** Generating engines (FastBackend's third number): a token every 20 ms (time to first token). */
    int backendTokens;
    /** A token every {@link #HELD_TOKEN_MS}: streams held open. */
    int backendHeld;
    /** Hedging: an engine slow to start and a fast one. */
    int backendHedgeSlow;
    int backendHedgeFast;
    private boolean cacheAvailable;
    private long backendPid;
    private int bareProxy;
    private int bareProxy50;
    /** The bare proxy's streaming leg, in front of the token-streaming backend (the ttft cell's reference). */
    int bareProxyTokens;
    private long bareProxyPid;

    Bench(Mode mode, Path jar, Path out, List<String> serviceJvm) throws IOException {
        this(mode, jar, out, serviceJvm, DEFAULT_CELLS, "");
    }

    Bench(Mode mode, Path jar, Path out, List<String> serviceJvm, Set<String> cells, String kafkaClassPath)
            throws IOException {
        this.cells = Set.copyOf(cells);
        this.kafkaClassPath = kafkaClassPath;
        this.mode = mode;
        this.jar = jar;
        this.out = out;
        this.serviceJvm = runCommandOptions(jar, serviceJvm);
        // the bare proxy: the service's collector and BENCH_SERVICE_OPTS, so that only the code differs
        List<String> proxyJvm = new ArrayList<>(collector(serviceJvm));
        proxyJvm.addAll(serviceJvm);
        this.proxyJvm = List.copyOf(proxyJvm);
        this.work = Files.createTempDirectory("llmpool-bench");
        this.wrk = new Wrk(work);
    }

    /**
     * The collector the README's run command chooses (docs/performance.md, memory); the bare proxy runs on it too.
     * BENCH_SERVICE_OPTS=-XX:+UseG1GC compares another.
     */
    static final String RUN_COMMAND_GC = "-XX:+UseSerialGC";

    /**
     * The README's run command's JVM options (the collector, and the class data sharing archive the build makes next
     * to the jar; a missing or stale one is ignored), then BENCH_SERVICE_OPTS.
     */
    static List<String> runCommandOptions(Path jar, List<String> extra) {
        List<String> options = new ArrayList<>(collector(extra));
        options.add("-XX:SharedArchiveFile=" + jar.toAbsolutePath().resolveSibling("llm-pool.jsa"));
        options.addAll(extra);
        return List.copyOf(options);
    }

    /** The run command's collector, unless BENCH_SERVICE_OPTS names one (two would stop the JVM). */
    private static List<String> collector(List<String> extra) {
        return extra.stream().anyMatch(o -> o.matches("-XX:\\+Use\\w*GC")) ? List.of() : List.of(RUN_COMMAND_GC);
    }

    public static void main(String[] args) throws Exception {
        Mode mode = FULL;
        Path out = null;
        Path jar = Path.of("target/llm-pool.jar");
        Integer runs = null;
        int startupOnly = 0;
        Set<String> cells = DEFAULT_CELLS;
        String kafkaClassPath = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> mode = QUICK;
                case "--startup" -> startupOnly = Integer.parseInt(args[++i]);
                case "--smoke" -> mode = SMOKE;
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--jar" -> jar = Path.of(args[++i]);
                case "--cells" -> cells = cells(args[++i]);
                case "--kafka-cp" -> kafkaClassPath = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (use --quick, --smoke, --startup N, --runs N, --out FILE, --jar FILE, --cells "
                        + String.join(",", ALL_CELLS) + "|all, --kafka-cp CLASSPATH)");
            }
        }
        if (runs != null) {
            mode = new Mode(mode.name(), runs, mode.cellSeconds(), mode.warmupSeconds(), mode.maxWarmupRounds(),
                    mode.concurrencies(), mode.inflight(), mode.slowMs());
        }
        if (out == null) {
            out = Path.of("bench/results", mode == FULL ? "latest.json" : mode.name() + ".json");
        }
        String opts = System.getenv().getOrDefault("BENCH_SERVICE_OPTS", "").trim();
        Bench bench = new Bench(mode, jar, out, opts.isEmpty() ? List.of() : Arrays.asList(opts.split("\\s+")), cells,
                kafkaClassPath);
        if (startupOnly > 0) {
            bench.startupOnly(startupOnly);
        } else {
            bench.run();
        }
    }

    /** {@code --cells a,b,c}: names from {@link #ALL_CELLS}, or {@code all}. */
    static Set<String> cells(String list) {
        Set<String> chosen = new LinkedHashSet<>();
        for (String name : list.split(",")) {
            String n = name.trim();
            if (n.equals("all")) {
                chosen.addAll(ALL_CELLS);
            } else if (ALL_CELLS.contains(n)) {
                chosen.add(n);
            } else if (!n.isEmpty()) {
                throw new IllegalArgumentException("unknown cell " + n + " (cells: " + String.join(",", ALL_CELLS)
                        + ", or all)");
            }
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("--cells names no cell");
        }
        return chosen;
    }

    /**
     * Only the start-up figure, {@code n} times (a fresh JVM each), with the load average before each launch:
     * {@code bash bench/run.sh --startup 7}. Prints each figure and the median; writes no results file.
     */
    void startupOnly(int n) throws Exception {
        Process backend = startBackendForJar();
        try {
            for (int rep = 1; rep <= n; rep++) {
                String load = Files.readString(Path.of("/proc/loadavg")).trim();
                int port = freePort();
                try (Service svc = Service.start(jar, work.resolve("startup" + rep), config(port, false), serviceJvm,
                        port, poolBody("fast0", false))) {
                    double cpu = svc.cpuSeconds(); // what the start-up cost, whatever else the cores were busy with
                    samples.add("startup_ms", svc.startupMs);
                    samples.add("startup_cpu_s", cpu);
                    System.out.printf("service up in %.0f ms, %.2f s CPU (load average %s)%n", svc.startupMs, cpu, load);
                }
            }
        } finally {
            backend.getOutputStream().close();
            backend.destroy();
        }
        deleteWorkDir();
        System.out.printf("start-up to first served request: median %.0f ms of %d (CPU %.2f s), samples %s%n",
                samples.median("startup_ms"), n, samples.median("startup_cpu_s"), samples.all().get("startup_ms"));
    }

    /** Runs every cell {@code mode.runs()} times, prints the table and writes the results file. */
    Path run() throws Exception {
        Wrk.ensureInstalled();
        Process backend = startBackendForJar();
        Process proxy = null;
        try {
            if (cells.contains("latency") || cells.contains("ttft")) {
                proxy = startBareProxy();
            }
            for (int rep = 1; rep <= mode.runs(); rep++) {
                loadAverages.add(Files.readString(Path.of("/proc/loadavg")).trim());
                System.out.printf("%n== run %d of %d (load average %s; cells %s)%n", rep, mode.runs(),
                        loadAverages.get(rep - 1), String.join(",", ALL_CELLS.stream().filter(cells::contains).toList()));
                if (cells.contains("latency")) {
                    latencyAndThroughput(rep);
                }
                if (cells.contains("inflight")) {
                    inflight(rep);
                }
                if (cells.contains("doors") || cells.contains("auth") || cells.contains("log")
                        || cells.contains("hedge")) {
                    new FrontCells(this).run(rep, cells);
                }
                if (cells.contains("ttft") || cells.contains("streams")) {
                    new StreamCells(this).run(rep, cells);
                }
                if (cells.contains("kafka")) {
                    new KafkaCell(this, kafkaClassPath).run(rep);
                }
                if (cells.contains("burst") || cells.contains("admission") || cells.contains("semantic")
                        || cells.contains("tracing")) {
                    new RoutingCells(this).run(rep, cells);
                }
            }
        } finally {
            if (proxy != null) {
                proxy.getOutputStream().close(); // exits when its stdin closes, as the backend does
                proxy.destroy();
            }
            backend.getOutputStream().close(); // the backend exits when its stdin closes
            backend.destroy();
        }
        deleteWorkDir();
        List<Report.Row> rows = Report.rows(mode, samples, cacheAvailable, cells);
        String table = Report.table(rows);
        System.out.println();
        System.out.println(table);
        write(rows, table);
        System.out.println("results: " + out.toAbsolutePath());
        return out;
    }

    private void latencyAndThroughput(int rep) throws Exception {
        int port = freePort();
        try (Service svc = Service.start(jar, work.resolve("run" + rep), config(port, false), serviceJvm, port,
                poolBody("fast0", false))) {
            samples.add("startup_ms", svc.startupMs);
            System.out.printf("service up in %.0f ms%n", svc.startupMs);
            warmUp(svc);
            cacheAvailable = probeCache(svc);
            int c64 = mode.concurrencies()[mode.concurrencies().length - 1];
            for (long latency : new long[] {0, 50}) {
                for (int c : mode.concurrencies()) {
                    double backendCpu = Service.cpuSeconds(backendPid);
                    Wrk.Result direct = load("direct", directUrl(latency), directBody(), c);
                    backendCpu = Service.cpuSeconds(backendPid) - backendCpu;
                    double serviceCpu = svc.cpuSeconds();
                    Wrk.Result pool = load("pool FASTEST", poolUrl(svc), poolBody("fast" + latency, false), c);
                    serviceCpu = svc.cpuSeconds() - serviceCpu;
                    String cell = "fastest.c" + c + ".b" + latency + "ms.";
                    // CPU per request: what each costs, whatever else the machine's cores were busy with
                    samples.add(cell + "pool_cpu_us_per_request", serviceCpu * 1e6 / Math.max(1, pool.requests()));
                    samples.add(cell + "backend_cpu_us_per_request", backendCpu * 1e6 / Math.max(1, direct.requests()));
                    samples.add(cell + "pool_p50_ms", pool.p50());
                    samples.add(cell + "pool_p99_ms", pool.p99());
                    samples.add(cell + "direct_p50_ms", direct.p50());
                    samples.add(cell + "direct_p99_ms", direct.p99());
                    samples.add(cell + "added_p50_ms", pool.p50() - direct.p50());
                    samples.add(cell + "added_p99_ms", pool.p99() - direct.p99());
                    samples.add(cell + "pool_rps", pool.rps());
                    samples.add(cell + "direct_rps", direct.rps());
                    samples.add(cell + "throughput_ratio", pool.rps() / direct.rps());
                    samples.add(cell + "errors", pool.errors());
                    samples.add(cell + "direct_errors", direct.errors());
                    if ((latency == 0 && c == c64) || (latency == 50 && c == 1)) {
                        floor(direct, c, latency);
                    }
                }
            }
            double serviceCpu = svc.cpuSeconds();
            Wrk.Result vote = load("pool VOTING x3", poolUrl(svc), poolBody("vote0", false), c64);
            samples.add("voting.c" + c64 + ".b0ms.pool_cpu_us_per_request",
                    (svc.cpuSeconds() - serviceCpu) * 1e6 / Math.max(1, vote.requests()));
            samples.add("voting.c" + c64 + ".b0ms.pool_rps", vote.rps());
            samples.add("voting.c" + c64 + ".b0ms.errors", vote.errors());
            samples.add("voting.c" + c64 + ".b0ms.throughput_ratio",
                    vote.rps() / samples.last("fastest.c" + c64 + ".b0ms.direct_rps"));
            Wrk.Result vote50 = load("pool VOTING x3, 50 ms", poolUrl(svc), poolBody("vote50", false), 1);
            samples.add("voting.c1.b50ms.pool_p50_ms", vote50.p50());
            samples.add("voting.c1.b50ms.pool_p99_ms", vote50.p99());
            samples.add("voting.c1.b50ms.added_p50_ms", vote50.p50() - samples.last("fastest.c1.b50ms.direct_p50_ms"));
            samples.add("voting.c1.b50ms.added_p99_ms", vote50.p99() - samples.last("fastest.c1.b50ms.direct_p99_ms"));
            samples.add("voting.c1.b50ms.errors", vote50.errors());
            svc.newLogLines("event=step_times"); // the lines before: other cells
            votingOverWaited(svc);
            svc.printNewStepTimes();
            if (cacheAvailable) {
                // its own direct baseline, right before it: the direct rate of one run moved by up to 2x from cell to
                // cell on this machine (37,000 to 75,000 req/s), and the FASTEST cell's was minutes earlier
                Wrk.Result direct = load("direct", directUrl(0), directBody(), c64);
                Wrk.Result hits = load("pool cache hits", poolUrl(svc), poolBody("fast0", true), c64);
                samples.add("cache.c" + c64 + ".pool_rps", hits.rps());
                samples.add("cache.c" + c64 + ".direct_rps", direct.rps());
                samples.add("cache.c" + c64 + ".errors", hits.errors());
                samples.add("cache.c" + c64 + ".throughput_ratio", hits.rps() / direct.rps());
                Wrk.Result hit1 = load("pool cache hits", poolUrl(svc), poolBody("fast0", true), 1);
                samples.add("cache.c1.pool_p50_ms", hit1.p50());
                samples.add("cache.c1.pool_p99_ms", hit1.p99());
            }
        }
    }

    /**
     * The floor of any JVM gateway here: the same load as the pool's cell against {@link BareProxy}, compared with
     * the same cell's direct calls. Its body is the pool's request (read and dropped), so both read the same bytes.
     * At 0 ms and the top concurrency it bounds throughput; at 50 ms and concurrency 1 it shows what one more idle
     * process costs in latency on this machine (waking it when the backend answers).
     */
    private void floor(Wrk.Result direct, int c, long latency) throws Exception {
        double cpu = Service.cpuSeconds(bareProxyPid);
        Wrk.Result r = load("bare Vert.x proxy", latency == 0 ? bareProxyUrl() : bareProxy50Url(),
                poolBody("fast0", false), c);
        cpu = Service.cpuSeconds(bareProxyPid) - cpu;
        String cell = "floor.c" + c + ".b" + latency + "ms.";
        samples.add(cell + "proxy_rps", r.rps());
        samples.add(cell + "throughput_ratio", r.rps() / direct.rps());
        samples.add(cell + "proxy_cpu_us_per_request", cpu * 1e6 / Math.max(1, r.requests()));
        samples.add(cell + "added_p50_ms", r.p50() - direct.p50());
        samples.add(cell + "added_p99_ms", r.p99() - direct.p99());
        samples.add(cell + "errors", r.errors());
    }

    /**
     * VOTING at 50 ms against what it waits for: with three agreeing providers it answers at the second of its
     * three parallel calls, so the baseline is three parallel direct calls and their second answer, from the same
     * client (ParallelProbe), alternating with the pool requests. The wrk cell above compares with one call.
     * Three times a cell's seconds: a round takes over 100 ms, and a median of some 80 rounds moved by 0.1 ms
     * from run to run, as much as the figure's distance from its target.
     */
    private void votingOverWaited(Service svc) throws Exception {
        ParallelProbe.Result r;
        try (ParallelProbe probe = new ParallelProbe()) {
            r = probe.run(poolUrl(svc), poolBody("vote50", false), directUrl(50), directBody(), directUrl(0),
                    Math.min(10_000, 2_500 * mode.cellSeconds()), Math.min(2, mode.cellSeconds()), 3 * mode.cellSeconds());
        }
        String cell = "voting.c1.b50ms.";
        samples.add(cell + "probe_rounds", r.rounds());
        samples.add(cell + "probe_pool_p50_ms", r.poolP50());
        samples.add(cell + "probe_pool_p99_ms", r.poolP99());
        samples.add(cell + "direct2of3_p50_ms", r.secondP50());
        samples.add(cell + "direct2of3_p99_ms", r.secondP99());
        samples.add(cell + "direct3of3_p50_ms", r.thirdP50());
        samples.add(cell + "direct3of3_p99_ms", r.thirdP99());
        samples.add(cell + "added_over_waited_p50_ms", r.poolP50() - r.secondP50());
        samples.add(cell + "added_over_waited_p99_ms", r.poolP99() - r.secondP99());
        samples.add(cell + "probe_pool_errors", r.poolErrors());
        samples.add(cell + "probe_direct_errors", r.directErrors());
        System.out.printf("  %-26s c=1    %d client warm-up requests, then %d rounds  pool p50 %8.3f ms"
                        + "  p99 %8.3f ms;  direct 2nd of 3 p50 %8.3f ms  p99 %8.3f ms, 3rd p50 %8.3f ms;"
                        + "  errors pool %d, direct %d%n", "probe VOTING x3, 50 ms", r.warmupRequests(), r.rounds(),
                r.poolP50(), r.poolP99(), r.secondP50(), r.secondP99(), r.thirdP50(), r.poolErrors(), r.directErrors());
    }

    /** 2,000 (or the mode's number of) concurrent requests to the slow backend, with pools raised for it. */
    private void inflight(int rep) throws Exception {
        int n = mode.inflight();
        int seconds = (int) Math.ceil(mode.slowMs() / 1000.0) + 2;
        int timeout = (int) Math.ceil(mode.slowMs() / 1000.0) * 2 + 2;
        Wrk.Result direct = load("direct, " + mode.slowMs() + " ms", "http://127.0.0.1:" + backendSlow + "/api/chat",
                directBody(), n, seconds, timeout);
        int port = freePort();
        try (Service svc = Service.start(jar, work.resolve("inflight" + rep), config(port, true), serviceJvm, port,
                poolBody("fast0", false))) {
            samples.add("startup_ms", svc.startupMs);
            System.out.printf("service (in-flight configuration) up in %.0f ms%n", svc.startupMs);
            // Warm, as a gateway in service is: a cold JVM compiles the whole request path during the burst. Then
            // two bursts: the first opens the backend connections (recorded, no target); the second, with them
            // pooled as they are in a gateway that has carried such a load before, is measured against the target.
            warmUp(svc);
            svc.startSampling();
            Wrk.Result first = load("pool, first burst", poolUrl(svc), poolBody("slow", false), n, seconds, timeout);
            Thread.sleep(mode.slowMs() + 1000);  // wrk stops with requests in flight: let them end (bulkhead slots)
            Wrk.Result pool = load("pool, " + mode.slowMs() + " ms", poolUrl(svc), poolBody("slow", false), n, seconds, timeout);
            svc.stopSampling();
            samples.add("inflight.first.completed", first.requests());
            samples.add("inflight.first.errors", first.errors() + Math.max(0, n - first.requests()));
            samples.add("inflight.first.p99_ms", first.p99());
            samples.add("inflight.first.max_ms", first.max());
            samples.add("inflight.direct_errors", direct.errors());
            samples.add("inflight.direct_p99_ms", direct.p99());
            samples.add("inflight.direct_max_ms", direct.max());
            samples.add("inflight.completed", pool.requests());
            samples.add("inflight.errors", pool.errors() + Math.max(0, n - pool.requests()));
            samples.add("inflight.p99_ms", pool.p99());
            samples.add("inflight.max_ms", pool.max());
            samples.add("inflight.peak_rss_mb", svc.peakRssMb());
            samples.add("inflight.peak_threads", svc.peakThreads());
            System.out.printf("  peak RSS %.0f MB, peak live threads %d%n", svc.peakRssMb(), svc.peakThreads());
        }
    }

    /**
     * Rounds of every kind of request the cells send, until the JIT compilers are (nearly) idle: on two cores a
     * compiler still at work takes a core from the service and the load, and a gateway in service runs compiled
     * code. (The cold JVM is what start-up measures.) Prints each round's compiler share.
     */
    private void warmUp(Service svc) throws Exception {
        List<Load> loads = new ArrayList<>();
        for (String task : List.of("fast0", "fast50", "vote0", "vote50")) {
            loads.add(new Load(poolUrl(svc), poolBody(task, false), Map.of(), 16));
        }
        loads.add(new Load(poolUrl(svc), poolBody("fast0", true), Map.of(), 16));
        loads.add(new Load(poolUrl(svc), poolBody("fast0", false), Map.of(), 1));
        warmUp(svc, loads);
    }

    /** One kind of wrk load: where, what, with which headers, over how many connections. */
    record Load(String url, String body, Map<String, String> headers, int connections) {
    }

    /** Rounds of the given loads (the warm-up's seconds shared among them) until the JIT compilers are quiet. */
    void warmUp(Service svc, List<Load> loads) throws Exception {
        int each = Math.max(1, mode.warmupSeconds() / loads.size());
        for (int round = 1; ; round++) {
            double jit = svc.compilerCpuSeconds();
            long started = System.nanoTime();
            for (Load l : loads) {
                wrk.run(l.url(), l.body(), l.headers(), l.connections(), each, 5);
            }
            double share = (svc.compilerCpuSeconds() - jit) / ((System.nanoTime() - started) / 1e9);
            System.out.printf("warm-up round %d: the JIT compilers used %.0f%% of a core%n", round, share * 100);
            if (share < JIT_QUIET || round >= mode.maxWarmupRounds()) {
                samples.add("warmup_rounds", round);
                return;
            }
        }
    }

    /** Whether the response cache answers a repeated request (issue 5); until it does, cache rows say n/a. */
    private static boolean probeCache(Service svc) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(URI.create(poolUrl(svc))).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(poolBody("fast0", true))).build();
        http.send(req, HttpResponse.BodyHandlers.ofString());
        String second = http.send(req, HttpResponse.BodyHandlers.ofString()).body();
        return second.contains("\"from_cache\":true");
    }

    Wrk.Result load(String what, String url, String body, int connections) throws Exception {
        return load(what, url, body, connections, mode.cellSeconds(), 5);
    }

    /** As above, with extra request headers. */
    Wrk.Result load(String what, String url, String body, Map<String, String> headers, int connections)
            throws Exception {
        return print(what, url, connections, wrk.run(url, body, headers, connections, mode.cellSeconds(), 5));
    }

    private Wrk.Result load(String what, String url, String body, int connections, int seconds, int timeout)
            throws Exception {
        return print(what, url, connections, wrk.run(url, body, connections, seconds, timeout));
    }

    private static Wrk.Result print(String what, String url, int connections, Wrk.Result r) {
        System.out.printf("  %-26s c=%-4d %8.0f req/s  p50 %8.3f ms  p99 %8.3f ms  max %8.1f ms  errors %d%n",
                what + " " + url.replaceFirst("http://127.0.0.1:\\d+", ""), connections, r.rps(), r.p50(), r.p99(),
                r.max(), r.errors());
        return r;
    }

    /** Checks the jar is built, then starts the fast backend on three free ports. */
    private Process startBackendForJar() throws Exception {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " not found: build it first (mvn -B -q package -DskipTests)");
        }
        backend0 = freePort();
        backend50 = freePort();
        backend20 = freePort();
        backendSlow = freePort();
        backendTokens = freePort();
        backendHeld = freePort();
        backendHedgeSlow = freePort();
        backendHedgeFast = freePort();
        Process backend = startBackend();
        backendPid = backend.pid();
        return backend;
    }

    private Process startBackend() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return startHelper("backend", java, List.of("-Xmx256m", "-XX:+UseParallelGC"), FastBackend.class,
                backend0 + ":0", backend50 + ":50", backend20 + ":" + ADMISSION_BACKEND_MS, backendSlow + ":" + mode.slowMs(),
                backendTokens + ":0:" + TOKEN_MS, backendHeld + ":0:" + HELD_TOKEN_MS,
                backendHedgeSlow + ":" + HEDGE_SLOW_START_MS + ":" + TOKEN_MS, backendHedgeFast + ":0:1");
    }

    /**
     * Starts the reference proxy in front of the 0 ms and 50 ms backends (a port each) and, streaming, the token
     * backend, and warms it up (the streaming leg is warmed by the cell that uses it). The service's java, collector
     * and BENCH_SERVICE_OPTS, so that only the code differs; one event loop per core, as the service's HTTP server
     * has by default (pool.http.event-loops).
     */
    private Process startBareProxy() throws Exception {
        bareProxy = freePort();
        bareProxy50 = freePort();
        bareProxyTokens = freePort();
        String java = System.getenv().getOrDefault("BENCH_SERVICE_JAVA", "");
        Process p = startHelper("bare proxy",
                java.isBlank() ? Path.of(System.getProperty("java.home"), "bin", "java").toString() : java, proxyJvm,
                BareProxy.class, String.valueOf(Runtime.getRuntime().availableProcessors()),
                bareProxy + ":" + backend0, bareProxy50 + ":" + backend50, bareProxyTokens + ":" + backendTokens + ":stream");
        bareProxyPid = p.pid();
        // as the service is: rounds until its JIT compilers are (nearly) idle (one short round was not enough: the
        // first full run measured it at a fifth of its later figure)
        int top = mode.concurrencies()[mode.concurrencies().length - 1];
        int each = Math.max(1, mode.warmupSeconds() / 3);
        for (int round = 1; ; round++) {
            double jit = Service.compilerCpuSeconds(bareProxyPid);
            long started = System.nanoTime();
            wrk.run(bareProxyUrl(), poolBody("fast0", false), top, each, 5);
            wrk.run(bareProxyUrl(), poolBody("fast0", false), 1, each, 5);
            wrk.run(bareProxy50Url(), poolBody("fast0", false), 1, each, 5);
            double share = (Service.compilerCpuSeconds(bareProxyPid) - jit) / ((System.nanoTime() - started) / 1e9);
            System.out.printf("bare proxy warm-up round %d: the JIT compilers used %.0f%% of a core%n", round, share * 100);
            if (share < JIT_QUIET || round >= mode.maxWarmupRounds()) {
                return p;
            }
        }
    }

    /** Starts one of the benchmark's own processes (test classes + the jar) and waits for its READY line. */
    Process startHelper(String name, String javaCommand, List<String> jvm, Class<?> main, String... args)
            throws Exception {
        return startHelper(name, javaCommand, jvm, "", main, args);
    }

    /** As above, with {@code extraClassPath} after the test classes and the jar. */
    Process startHelper(String name, String javaCommand, List<String> jvm, String extraClassPath, Class<?> main,
                        String... args) throws Exception {
        String cp = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                + java.io.File.pathSeparator + jar.toAbsolutePath()
                + (extraClassPath.isBlank() ? "" : java.io.File.pathSeparator + extraClassPath);
        List<String> cmd = new ArrayList<>(List.of(javaCommand));
        cmd.addAll(jvm);
        // a last resort only (the helper exits when our stdin closes): longer than any run, as a full run of every
        // cell takes over an hour and a helper that stops mid-run fails every later cell
        cmd.addAll(List.of("-Dbench.maxSeconds=" + HELPER_MAX_SECONDS, "-cp", cp, main.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = lines.readLine()) != null && !line.startsWith("READY")) {
            System.out.println(name + ": " + line);
        }
        if (line == null) {
            p.destroy();
            throw new IllegalStateException("the " + name + " did not start");
        }
        System.out.println(name + ": " + line);
        Thread drain = new Thread(() -> lines.lines().forEach(l -> System.out.println(name + ": " + l)));
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    /** The shipped configuration minus its providers and tasks, plus the benchmark's. */
    String config(int port, boolean inflightRun) throws IOException {
        return config(port, inflightRun, "");
    }

    /** As above, then {@code extra} (keys the benchmark's block does not set). */
    String config(int port, boolean inflightRun, String extra) throws IOException {
        StringBuilder c = new StringBuilder();
        try (ZipFile z = new ZipFile(jar.toFile())) {
            String shipped = new String(z.getInputStream(z.getEntry("application.properties")).readAllBytes(),
                    StandardCharsets.UTF_8);
            // a key of extra replaces the shipped line (one line per key: which of two would win is the loader's)
            Set<String> replaced = new HashSet<>();
            extra.lines().filter(l -> l.contains("=")).forEach(l -> replaced.add(l.substring(0, l.indexOf('=')).trim()));
            shipped.lines().filter(l -> !l.startsWith("pool.providers.") && !l.startsWith("pool.tasks."))
                    .filter(l -> !l.contains("=") || !replaced.contains(l.substring(0, l.indexOf('=')).trim()))
                    .forEach(l -> c.append(l).append('\n'));
        }
        c.append("\n## --- Benchmark (bench/run.sh) ---\n");
        int slowConcurrency = mode.inflight() + 100;
        provider(c, "p0", backend0, 256);
        provider(c, "p50", backend50, 256);
        for (int i = 1; i <= 3; i++) {
            provider(c, "v" + i, backend0, 256);
            provider(c, "w" + i, backend50, 256);
        }
        provider(c, "slow", backendSlow, inflightRun ? slowConcurrency : 4);
        long slowDeadline = mode.slowMs() * 2;
        task(c, "fast0", "p0", "FASTEST", 1500);
        task(c, "fast50", "p50", "FASTEST", 1500);
        task(c, "vote0", "v1,v2,v3", "VOTING", 1500);
        task(c, "vote50", "w1,w2,w3", "VOTING", 1500);
        task(c, "slow", "slow", "FASTEST", slowDeadline);
        // the streaming and hedging cells' engines (FastBackend's generating ports)
        provider(c, "tokens", backendTokens, 256);
        provider(c, "held", backendHeld, inflightRun ? slowConcurrency : 256);
        provider(c, "hslow", backendHedgeSlow, 16);
        provider(c, "hfast", backendHedgeFast, 16);
        task(c, STREAM_TASK, "tokens", "FASTEST", 5000);
        task(c, HELD_TASK, "held", "FASTEST", HELD_DEADLINE_MS, HELD_TOKENS);
        task(c, HEDGE_TASK, "hslow,hfast", "FASTEST", 1500);
        c.append("pool.tasks.").append(HEDGE_TASK).append(".hedge-after-ms=").append(HEDGE_AFTER_MS).append('\n');
        c.append("pool.judge.prompt=prompts/bench.md\n");
        c.append("pool.limits.max-deadline-ms=").append(Math.max(HELD_DEADLINE_MS, slowDeadline)).append('\n');
        c.append("pool.http.port=").append(port).append('\n');
        c.append("pool.grpc.port=").append(freePort()).append('\n');
        if (inflightRun) {
            // The in-flight run raises what bounds concurrent requests: each request in flight holds a pooled
            // connection to the backend (and a bulkhead slot: the provider's max-concurrency, raised above).
            c.append("pool.http.max-connections=").append(slowConcurrency).append('\n');
        }
        c.append(extra);
        return c.toString();
    }

    static void provider(StringBuilder c, String name, int port, int maxConcurrency) {
        String k = "pool.providers." + name + ".";
        c.append(k).append("url=http://127.0.0.1:").append(port).append('\n');
        c.append(k).append("kind=ollama\n");
        c.append(k).append("model=").append(MODEL).append('\n');
        c.append(k).append("max-concurrency=").append(maxConcurrency).append('\n');
    }

    static void task(StringBuilder c, String name, String providers, String strategy, long deadlineMs) {
        task(c, name, providers, strategy, deadlineMs, 16);
    }

    private static void task(StringBuilder c, String name, String providers, String strategy, long deadlineMs,
                             int maxTokens) {
        String k = "pool.tasks." + name + ".";
        c.append(k).append("providers=").append(providers).append('\n');
        c.append(k).append("strategy=").append(strategy).append('\n');
        c.append(k).append("prompt=prompts/bench.md\n");
        c.append(k).append("max-tokens=").append(maxTokens).append('\n');
        c.append(k).append("deadline-ms=").append(deadlineMs).append('\n');
    }

    static String poolBody(String task, boolean cache) {
        return "{\"task\":\"" + task + "\",\"prompt\":\"" + PROMPT + "\",\"max_tokens\":16,\"cache\":" + cache + "}";
    }

    /** What the pool itself sends the backend for one FASTEST call. */
    static String directBody() {
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\\n\"}],"
                + "\"stream\":false,\"options\":{\"num_predict\":16}}";
    }

    private String directUrl(long latencyMs) {
        return "http://127.0.0.1:" + (latencyMs == 0 ? backend0 : backend50) + "/api/chat";
    }

    private String bareProxyUrl() {
        return "http://127.0.0.1:" + bareProxy + "/api/chat";
    }

    private String bareProxy50Url() {
        return "http://127.0.0.1:" + bareProxy50 + "/api/chat";
    }

    static String poolUrl(Service svc) {
        return "http://127.0.0.1:" + svc.port + "/v1/infer";
    }

    private void write(List<Report.Row> rows, String table) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        doc.put("mode", mode.name());
        doc.put("runs", mode.runs());
        doc.put("command", "bash bench/run.sh" + (mode == FULL ? "" : " --" + mode.name())
                + (cells.equals(DEFAULT_CELLS) ? "" : " --cells " + String.join(",", ALL_CELLS.stream()
                        .filter(cells::contains).toList())));
        doc.put("cells", ALL_CELLS.stream().filter(cells::contains).toList());
        doc.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(),
                "java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                "service_java", System.getenv().getOrDefault("BENCH_SERVICE_JAVA", "same"),
                "service_jvm_options", String.join(" ", serviceJvm),
                "load_average_before_each_run", loadAverages));
        List<Map<String, Object>> tableRows = new ArrayList<>();
        for (Report.Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("measure", r.label());
            m.put("value", r.value());
            m.put("target", r.target());
            m.put("met", r.met());
            tableRows.add(m);
        }
        doc.put("table", tableRows);
        doc.put("medians", samples.medians());
        doc.put("samples", samples.all());
        Files.createDirectories(out.toAbsolutePath().getParent());
        JSON.writeValue(out.toFile(), doc);
        Files.writeString(Path.of(out.toString().replaceFirst("\\.json$", "") + ".md"), "Run "
                + doc.get("date") + " (" + doc.get("command") + ", medians of " + mode.runs() + " run(s))\n\n" + table + "\n");
    }

    /** The services' working directories and logs; kept when a run fails, for its service.log. */
    private void deleteWorkDir() throws IOException {
        try (var files = Files.walk(work)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    boolean cacheAvailable() {
        return cacheAvailable;
    }

    static int freePort() throws IOException {
        return FreePorts.next();  // not from the ephemeral range: see FreePorts
    }
}
