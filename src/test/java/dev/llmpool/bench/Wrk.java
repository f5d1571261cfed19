package dev.llmpool.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The load generator: wrk (Debian's package), a separate process, driving a fixed number of keep-alive
 * connections (closed loop: each sends its next request when the previous answer arrived) for a fixed time.
 * A small Lua script makes it POST the given JSON body and print its summary as one JSON line.
 */
final class Wrk {

    private static final String MARK = "BENCH-JSON ";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One wrk run: counts, throughput and latency percentiles (ms) of the completed requests. */
    record Result(long requests, double seconds, long errors, long non2xx, double p50, double p90, double p99,
                  double max) {
        double rps() {
            return seconds <= 0 ? 0 : requests / seconds;
        }
    }

    private final Path scripts;

    Wrk(Path scripts) {
        this.scripts = scripts;
    }

    /** Installs Debian's wrk when it is missing (the benchmark needs it; CI runs as root). */
    static void ensureInstalled() throws IOException, InterruptedException {
        if (onPath()) {
            return;
        }
        System.out.println("wrk not found: installing Debian's package (apt-get install -y wrk)");
        for (List<String> cmd : List.of(List.of("apt-get", "update", "-qq"), List.of("apt-get", "install", "-y", "-qq", "wrk"))) {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("could not install wrk with " + String.join(" ", cmd)
                        + "; install it by hand (apt-get install wrk) and re-run");
            }
        }
        if (!onPath()) {
            throw new IllegalStateException("wrk is still not on the PATH after apt-get install");
        }
    }

    private static boolean onPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "wrk"))) {
                return true;
            }
        }
        return false;
    }

    Result run(String url, String jsonBody, int connections, int seconds, int timeoutSeconds)
            throws IOException, InterruptedException {
        return run(url, jsonBody, Map.of(), connections, seconds, timeoutSeconds);
    }

    /** As above, with extra request headers (e.g. a credential). */
    Result run(String url, String jsonBody, Map<String, String> headers, int connections, int seconds,
               int timeoutSeconds) throws IOException, InterruptedException {
        Path script = Files.createTempFile(scripts, "wrk-", ".lua");
        Files.writeString(script, lua(jsonBody, headers), StandardCharsets.UTF_8);
        int threads = Math.min(2, connections);
        List<String> cmd = List.of("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s",
                "--timeout", timeoutSeconds + "s", "-s", script.toString(), url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + timeoutSeconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("wrk did not finish: " + cmd);
        }
        Files.deleteIfExists(script);
        int at = out.indexOf(MARK);
        if (at < 0) {
            throw new IllegalStateException("wrk printed no summary (" + cmd + "):\n" + out);
        }
        String line = out.substring(at + MARK.length()).lines().findFirst().orElseThrow();
        JsonNode j = JSON.readTree(line);
        long socketErrors = j.path("connect").asLong() + j.path("read").asLong() + j.path("write").asLong()
                + j.path("timeout").asLong();
        long non2xx = j.path("status").asLong();
        return new Result(j.path("requests").asLong(), j.path("duration_us").asDouble() / 1e6, socketErrors + non2xx,
                non2xx, ms(j, "p50"), ms(j, "p90"), ms(j, "p99"), ms(j, "max"));
    }

    private static double ms(JsonNode j, String field) {
        return j.path(field).asDouble() / 1000.0;
    }

    /** wrk's percentiles come from its own histogram in microseconds; printed as JSON for the parser above. */
    private static String lua(String body, Map<String, String> headers) {
        StringBuilder extra = new StringBuilder();
        headers.forEach((k, v) -> extra.append("wrk.headers[\"").append(k).append("\"] = [==[").append(v).append("]==]\n"));
        return "wrk.method = \"POST\"\n"
                + "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
                + extra
                + "wrk.body = [==[" + body + "]==]\n"
                + "done = function(summary, latency, requests)\n"
                + "  local e = summary.errors\n"
                + "  io.write(string.format('" + MARK + "{\"requests\":%d,\"duration_us\":%d,\"connect\":%d,"
                + "\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d,\"p50\":%d,\"p90\":%d,\"p99\":%d,\"max\":%d}\\n',\n"
                + "    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,\n"
                + "    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))\n"
                + "end\n";
    }
}
