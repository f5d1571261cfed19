package dev.llmpool.bench;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The pool as an operator runs it: the README's command, {@code java -XX:+UseSerialGC -XX:SharedArchiveFile=llm-pool.jsa -jar
 * llm-pool.jar} (see {@link Bench#runCommandOptions}), in a working directory holding the benchmark's
 * {@code application.properties} (routes come from the jar). Measures the time from launching the
 * JVM to the first answered request, and samples the process's threads and memory from {@code /proc}.
 */
final class Service implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    private final Process process;
    private final Path log;
    private int linesRead; // newLogLines
    final int port;
    final double startupMs;
    private volatile boolean sampling;
    private volatile long peakThreads;
    private volatile long peakRssKb;
    private Thread sampler;

    private Service(Process process, Path log, int port, double startupMs) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.startupMs = startupMs;
    }

    /** Starts the service and returns once it has answered {@code probeBody} with a 200. */
    static Service start(Path jar, Path workDir, String config, List<String> jvmOptions, int port, String probeBody)
            throws IOException, InterruptedException {
        return start(jar, workDir, config, jvmOptions, port, probeBody, Map.of());
    }

    /** As above, the probe sending {@code probeHeaders} (a credential when auth is on). */
    static Service start(Path jar, Path workDir, String config, List<String> jvmOptions, int port, String probeBody,
                         Map<String, String> probeHeaders) throws IOException, InterruptedException {
        Files.createDirectories(workDir.resolve("prompts"));
        Files.writeString(workDir.resolve("prompts/bench.md"), "{{prompt}}\n");
        Files.writeString(workDir.resolve("application.properties"), config);
        Path log = workDir.resolve("service.log");
        List<String> cmd = new ArrayList<>();
        // BENCH_SERVICE_JAVA: run the service on another JDK (e.g. a 21+ for pool.http.virtual-threads)
        String java = System.getenv().getOrDefault("BENCH_SERVICE_JAVA", "");
        cmd.add(java.isBlank() ? Path.of(System.getProperty("java.home"), "bin", "java").toString() : java);
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar.toAbsolutePath().toString());
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        HttpRequest.Builder probeRequest = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(probeBody));
        probeHeaders.forEach(probeRequest::header);
        HttpRequest probe = probeRequest.build();
        long until = t0 + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < until) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the service exited at start-up; see " + log + ":\n" + tail(log));
            }
            try {
                HttpResponse<String> r = HTTP.send(probe, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return new Service(p, log, port, (System.nanoTime() - t0) / 1e6);
                }
            } catch (ConnectException | java.net.http.HttpConnectTimeoutException notYet) {
                // not listening yet
            } catch (IOException notYet) {
                // e.g. connection reset while the server comes up
            }
            Thread.sleep(5); // polling a process we do not control; 5 ms is the start-up figure's resolution
        }
        p.destroyForcibly();
        throw new IllegalStateException("the service did not answer within 60 s; see " + log + ":\n" + tail(log));
    }

    long pid() {
        return process.pid();
    }

    /** Samples live threads and resident memory every 50 ms until {@link #stopSampling()}. */
    void startSampling() {
        sampling = true;
        sampler = new Thread(() -> {
            while (sampling) {
                readStatus();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "proc-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    void stopSampling() throws InterruptedException {
        sampling = false;
        if (sampler != null) {
            sampler.join();
        }
        readStatus();
    }

    long peakThreads() {
        return peakThreads;
    }

    /** The peak resident set size since the process started (the kernel's VmHWM), in MB. */
    double peakRssMb() {
        return Math.max(peakRssKb, statusField("VmHWM")) / 1024.0;
    }

    /** The resident set size now (VmRSS), in MB. */
    double rssMb() {
        return statusField("VmRSS") / 1024.0;
    }

    private void readStatus() {
        peakThreads = Math.max(peakThreads, statusField("Threads"));
        peakRssKb = Math.max(peakRssKb, statusField("VmRSS"));
    }

    private long statusField(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
                if (line.startsWith(name + ":")) {
                    return Long.parseLong(line.substring(name.length() + 1).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException gone) {
            // the process ended, or /proc is not Linux's
        }
        return 0;
    }

    /** CPU time the service has used (user + system), in seconds. */
    double cpuSeconds() {
        return cpuSeconds(pid());
    }

    /** CPU time the service's JIT compiler threads (C1, C2) have used, in seconds. */
    double compilerCpuSeconds() {
        return compilerCpuSeconds(pid());
    }

    /** CPU time a JVM's JIT compiler threads (C1, C2) have used, in seconds. */
    static double compilerCpuSeconds(long pid) {
        double total = 0;
        try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue;  // a thread that just ended
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    total += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
                }
            }
        } catch (IOException gone) {
            return Double.NaN;
        }
        return total;
    }

    /** CPU time of a process from /proc/<pid>/stat (utime and stime, in clock ticks of 1/100 s). */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException gone) {
            return Double.NaN;
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    String logTail() {
        return tail(log);
    }

    /**
     * Prints the service's step-time lines written since the last read of its log (there are some when
     * BENCH_SERVICE_OPTS has -Dpool.diagnostics.step-times=true: when each route step started).
     */
    void printNewStepTimes() {
        newLogLines("event=step_times").forEach(l -> System.out.println("    " + l.substring(l.indexOf("event="))));
    }

    /** The log's lines containing {@code text} that were written since the last call. */
    List<String> newLogLines(String text) {
        try {
            List<String> lines = Files.readAllLines(log);
            List<String> fresh = lines.subList(Math.min(linesRead, lines.size()), lines.size()).stream()
                    .filter(l -> l.contains(text)).toList();
            linesRead = lines.size();
            return fresh;
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
