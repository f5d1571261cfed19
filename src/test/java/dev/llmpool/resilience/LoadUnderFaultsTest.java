package dev.llmpool.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.Test;

/**
 * Many concurrent callers against the three fake backends on loopback while phi3 fails about half its calls
 * (it flips between failing and answering every 100 ms) and llama31 hangs through the middle third of the run;
 * gemma2 is healthy. Every request must end in a 200 or a well-formed contract error (503/504 with code, message
 * and the request id), none may be dropped or come back later than its deadline (plus {@code load.lateMs} of
 * scheduling slack), and afterwards the live threads and the heap must be back at their level before the run.
 * Counts by status, the most frequent per-provider reasons and the thread pools are printed ({@code event=load_*}).
 *
 * <p>The normal suite runs a short version (50 callers, 3 s) so it cannot rot; {@code mvn -B test -Pload} runs
 * 200 callers for 25 s (see pom.xml); {@code -Dload.callers}, {@code -Dload.seconds} and friends tune it.
 * Threads are compared at rest: after a warm-up round of the same shape, and after the run, once every pool that
 * shrinks when idle (backend calls here with a 1 s idle time, the fake backends, the test's HTTP client) has no
 * thread left; a call or thread left hanging would keep them from resting (background health checks, which
 * use backend-call threads, run only at start here). Vert.x's worker pool never shrinks: it is checked against its
 * configured size. The service's per-request log lines are silenced during the rounds:
 * the test console, not the service, would be the bottleneck.
 */
class LoadUnderFaultsTest extends ResilienceTestSupport {

    private static final int CALLERS = Integer.getInteger("load.callers", 50);
    private static final int SECONDS = Integer.getInteger("load.seconds", 3);
    private static final int WARMUP_SECONDS = Integer.getInteger("load.warmupSeconds", 2);
    /** Callers start spread over this time rather than all in the same millisecond. */
    private static final long RAMP_MS = Long.getLong("load.rampMs", 500);
    private static final long DEADLINE_MS = 1500;
    /**
     * How late past its deadline an answer may reach the caller and still count as on time. Client, service and
     * backends share this JVM and, here, two cores with other work. On such a machine (load average 9 to 15) answers
     * reached the callers up to 2.6 s after their deadline, while the service's own time for a 200 stayed within
     * about 0.75 s of it (JUDGE, with the most thread hops): the rest was waiting for CPU in the HTTP layers. 3 s in
     * the load profile, 5 s in the short run of the normal suite; a request left hanging would still show (the
     * client gives up after deadline + 10 s).
     */
    private static final long LATE_MS = Long.getLong("load.lateMs", 5000);
    /**
     * The service's own lateness bound: duration_ms of a 200 (its route's time) at most the deadline plus this. 1 s in
     * the load profile, measured on a machine left to it; 3 s in the short run of the normal suite, which may share
     * the cores: with a benchmark running beside it (load average 8 to 10, the suite at nice 19) the latest 200 of
     * six runs came 0 to 2.1 s after the deadline, the service waiting for CPU. A call the deadline did not end still
     * shows: it hangs until the client gives up (deadline + 10 s).
     */
    private static final long SERVICE_LATE_MS = Long.getLong("load.serviceLateMs", 3000);
    private static final List<String> TASKS = List.of("expand_queries", "site_tactics", "trio", "enrich_metadata");
    /** HTTP/1.1, a connection per caller: the JDK client's h2c upgrade would multiplex every caller on one. */
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).executor(idleShrinkingPool("load-client-")).build();
    /** Thread name prefixes of the pools that shrink to nothing when idle: none left means at rest. */
    private static final List<String> SHRINKING = List.of("fake-backend-", "load-client-");
    private static final String VERTX_WORKER = "vert.x-worker-thread-";
    private static final int WORKER_THREADS = 250;

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        // Workers sized for 200 callers rather than the shipped 400: with a thousand threads on two busy cores,
        // reaching a JVM safepoint took up to 1.3 s (-Xlog:safepoint), freezing client and service.
        p.put("pool.http.worker-threads", String.valueOf(WORKER_THREADS));
        return p;
    }

    @Override
    protected String extraConfig() {
        return """
                pool.providers.phi3.max-concurrency=40
                pool.providers.llama31.max-concurrency=40
                pool.providers.gemma2.max-concurrency=40
                pool.providers.phi3.breaker.minimum-calls=20
                pool.providers.phi3.breaker.sliding-window-size=50
                pool.providers.phi3.breaker.wait-in-open-seconds=2
                pool.providers.phi3.breaker.half-open-calls=5
                pool.providers.llama31.breaker.minimum-calls=20
                pool.providers.llama31.breaker.sliding-window-size=50
                pool.providers.llama31.breaker.wait-in-open-seconds=2
                pool.providers.llama31.breaker.half-open-calls=5
                pool.providers.gemma2.breaker.minimum-calls=20
                pool.providers.gemma2.breaker.sliding-window-size=50
                pool.providers.gemma2.breaker.wait-in-open-seconds=2
                pool.providers.gemma2.breaker.half-open-calls=5
                pool.tasks.trio.providers=phi3,llama31,gemma2
                pool.tasks.trio.strategy=VOTING
                pool.tasks.trio.prompt=prompts/expand_queries.md
                """;
    }

    @Test
    void everyRequestUnderFaultsGetsAnAnswerOrAContractErrorInTimeAndNothingLeaks() throws Exception {
        A.model("phi3:mini").latency(Duration.ofMillis(20));
        B.model("llama3.1:8b").latency(Duration.ofMillis(20));
        C.model("gemma2:9b").latency(Duration.ofMillis(20));
        Level level = LogManager.getLogger("dev.llmpool").getLevel();
        Configurator.setLevel("dev.llmpool", Level.ERROR);
        Stats stats;
        long threadsBefore;
        long threadsAfter;
        long heapBefore;
        long heapAfter;
        Map<String, Integer> poolsBefore;
        Map<String, Integer> poolsPeak;
        try {
            Stats warmup = run("warmup", WARMUP_SECONDS);
            awaitRest();
            System.out.println("event=load_warmup requests=" + warmup.total() + " by_status=" + warmup.byStatus());
            poolsBefore = threadsByName();
            threadsBefore = threadsBesideVertxWorkers();
            heapBefore = usedHeapAfterGc();

            stats = run("load", SECONDS);
            poolsPeak = stats.peakPools;
            awaitRest();
            threadsAfter = threadsBesideVertxWorkers();
            heapAfter = usedHeapAfterGc();
        } finally {
            Configurator.setLevel("dev.llmpool", level);
        }

        System.out.println("event=load_threads before=" + poolsBefore + " during=" + poolsPeak + " after="
                + threadsByName());
        stats.reasons.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum()))
                .limit(10).forEach(e -> System.out.println("event=load_reason count=" + e.getValue().sum()
                        + " reason=\"" + e.getKey() + "\""));
        System.out.printf("event=load_test callers=%d seconds=%d requests=%d by_status=%s dropped=%d malformed=%d "
                        + "late=%d max_ms=%d max_service_ms=%d threads_before=%d threads_after=%d heap_before_mb=%d "
                        + "heap_after_mb=%d%n",
                CALLERS, SECONDS, stats.total(), stats.byStatus(), stats.dropped.get(), stats.malformed.get(),
                stats.late.get(), stats.maxMs.get(), stats.maxServiceMs.get(), threadsBefore, threadsAfter,
                heapBefore >> 20, heapAfter >> 20);

        assertTrue(stats.total() >= CALLERS, "every caller got through at least once");
        assertEquals(0, stats.dropped.get(), "no request was dropped (connection error or client timeout): "
                + stats.firstDrop);
        assertEquals(0, stats.malformed.get(), "every answer had the contract's body: " + stats.firstMalformed);
        assertEquals(0, stats.late.get(), "none later than its deadline + " + LATE_MS + " ms: " + stats.firstLate);
        assertTrue(stats.maxServiceMs.get() <= DEADLINE_MS + SERVICE_LATE_MS,
                "the service itself answers by the deadline: " + stats.slowestAnswer);
        assertTrue(stats.byStatus().keySet().stream().allMatch(s -> s == 200 || s == 503 || s == 504),
                "only 200, 503 and 504: " + stats.byStatus());
        assertTrue(stats.byStatus().getOrDefault(200, 0) > 0, "the healthy paths kept answering");
        assertTrue(threadsAfter <= threadsBefore + 5,
                "live threads (beside Vert.x workers) back at their level: " + threadsBefore + " -> " + threadsAfter);
        assertTrue(threadsByName().getOrDefault(VERTX_WORKER + "#", 0) <= WORKER_THREADS,
                "Vert.x workers within their pool size");
        assertTrue(heapAfter <= heapBefore + Math.max(16L << 20, heapBefore / 2),
                "heap back near its level: " + (heapBefore >> 20) + " MB -> " + (heapAfter >> 20) + " MB");
    }

    /** CALLERS threads ask in a loop for {@code seconds} while the faults are scripted; returns what they got. */
    private Stats run(String name, int seconds) throws InterruptedException {
        Stats stats = new Stats();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        ScheduledExecutorService faults = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger flips = new AtomicInteger();
        faults.scheduleAtFixedRate(() -> { // phi3: failing half the time
            if (flips.incrementAndGet() % 2 == 0) {
                A.model("phi3:mini").failWith(500, "{\"error\":\"CUDA error: out of memory\"}");
            } else {
                A.model("phi3:mini").reset().latency(Duration.ofMillis(20));
            }
        }, 0, 100, TimeUnit.MILLISECONDS);
        long third = TimeUnit.SECONDS.toMillis(seconds) / 3;
        faults.schedule(() -> B.model("llama3.1:8b").hang(), third, TimeUnit.MILLISECONDS);
        faults.schedule(() -> B.model("llama3.1:8b").reset().latency(Duration.ofMillis(20)), 2 * third,
                TimeUnit.MILLISECONDS);

        CountDownLatch done = new CountDownLatch(CALLERS);
        for (int i = 0; i < CALLERS; i++) {
            int caller = i;
            long startAt = start + TimeUnit.MILLISECONDS.toNanos(RAMP_MS * i / CALLERS);
            Thread t = new Thread(() -> {
                try {
                    LockSupport.parkNanos(startAt - System.nanoTime()); // the ramp: a schedule, not a wait on an event
                    int n = 0;
                    do { // at least once, however late a busy machine lets this thread start
                        call(name, TASKS.get((caller + n++) % TASKS.size()), stats);
                    } while (System.nanoTime() < end);
                } finally {
                    done.countDown();
                }
            }, "load-caller-" + i);
            t.setDaemon(true);
            t.start();
        }
        // the pools at their fullest: sampled in the middle of the run, while llama31 hangs
        faults.schedule(() -> stats.peakPools = threadsByName(), TimeUnit.SECONDS.toMillis(seconds) / 2,
                TimeUnit.MILLISECONDS);
        boolean finished = done.await(seconds + 60, TimeUnit.SECONDS);
        faults.shutdownNow();
        assertTrue(faults.awaitTermination(5, TimeUnit.SECONDS));
        A.model("phi3:mini").reset().latency(Duration.ofMillis(20));
        B.model("llama3.1:8b").reset().latency(Duration.ofMillis(20));
        assertTrue(finished, "every caller finished");
        return stats;
    }

    private void call(String run, String task, Stats stats) {
        String requestId = run + "-" + stats.sequence.incrementAndGet();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .timeout(Duration.ofMillis(DEADLINE_MS + 10_000))
                .header("Content-Type", "application/json")
                .header("X-Request-Id", requestId)
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"task\":\"" + task + "\",\"prompt\":\"load\",\"cache\":false,\"deadline_ms\":" + DEADLINE_MS + "}"))
                .build();
        long t0 = System.nanoTime();
        HttpResponse<String> r;
        try {
            r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            stats.dropped.incrementAndGet();
            stats.firstDrop = e.toString();
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stats.dropped.incrementAndGet();
            return;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        stats.maxMs.accumulateAndGet(ms, Math::max);
        JsonNode body = parse(r.body());
        if (ms > DEADLINE_MS + LATE_MS) {
            stats.late.incrementAndGet();
            stats.firstLate = requestId + " " + task + " " + r.statusCode() + " after " + ms + " ms";
        }
        if (r.statusCode() == 200 && body != null) {
            long serviceMs = body.path("duration_ms").asLong();
            if (serviceMs > stats.maxServiceMs.getAndAccumulate(serviceMs, Math::max)) {
                stats.slowestAnswer = requestId + " " + task + " " + body.path("strategy_used").asText() + " hedged="
                        + body.path("hedged").asBoolean() + " winner=" + body.path("winner_provider").asText() + " "
                        + serviceMs + " ms in the service, " + ms + " ms at the caller";
            }
        }
        stats.count(r.statusCode());
        if (r.statusCode() != 200 && body != null) {
            body.path("error").path("providers").fields().forEachRemaining(e -> stats.reasons.computeIfAbsent(
                    e.getKey() + ": " + e.getValue().asText(), k -> new LongAdder()).increment());
        }
        if (!wellFormed(r, body, requestId)) {
            stats.malformed.incrementAndGet();
            stats.firstMalformed = r.statusCode() + " " + r.body();
        }
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean wellFormed(HttpResponse<String> r, JsonNode body, String requestId) {
        if (body == null || !requestId.equals(body.path("request_id").asText())
                || !requestId.equals(r.headers().firstValue("X-Request-Id").orElse(null))) {
            return false;
        }
        if (r.statusCode() == 200) {
            return body.path("content").isTextual() && body.path("winner_provider").isTextual();
        }
        return body.path("error").path("code").isTextual() && body.path("error").path("message").isTextual();
    }

    /**
     * At rest: no request in flight in the service, no call at a backend, and no thread left in the pools that
     * shrink when idle (bounded wait; a thread stuck on a call would keep it from resting).
     */
    private void awaitRest() {
        assertTrue(eventually(Duration.ofSeconds(30), () -> context.getInflightRepository().size() == 0
                && A.inFlight("phi3:mini") + B.inFlight("llama3.1:8b") + C.inFlight("gemma2:9b") == 0
                && Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                        .noneMatch(n -> SHRINKING.stream().anyMatch(n::startsWith))),
                () -> "the service, the backends and the idle-shrinking pools came to rest: " + Thread
                        .getAllStackTraces().keySet().stream().map(Thread::getName)
                        .filter(n -> SHRINKING.stream().anyMatch(n::startsWith)).toList());
    }

    private static long threadsBesideVertxWorkers() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> !t.getName().startsWith(VERTX_WORKER)).count();
    }

    private static java.util.concurrent.ExecutorService idleShrinkingPool(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE, 1, TimeUnit.SECONDS,
                new java.util.concurrent.SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, prefix + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Live threads counted by name without their numbers (pool sizes), for the log. */
    private static Map<String, Integer> threadsByName() {
        Map<String, Integer> m = new TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            m.merge(t.getName().replaceAll("\\d+", "#"), 1, Integer::sum);
        }
        m.values().removeIf(n -> n < 5);
        return m;
    }

    private static long usedHeapAfterGc() {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return least;
    }

    private static final class Stats {
        final AtomicLong sequence = new AtomicLong();
        final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        /** "provider: reason" in error bodies, counted. */
        final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();
        final AtomicInteger dropped = new AtomicInteger();
        final AtomicInteger malformed = new AtomicInteger();
        final AtomicInteger late = new AtomicInteger();
        final AtomicLong maxMs = new AtomicLong();
        volatile String firstMalformed;
        volatile String firstDrop;
        volatile String firstLate;
        volatile Map<String, Integer> peakPools = Map.of();
        /** The longest duration_ms of a 200, as the service measured it (from its route's start to the answer). */
        final AtomicLong maxServiceMs = new AtomicLong();
        volatile String slowestAnswer;

        void count(int status) {
            statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
        }

        Map<Integer, Integer> byStatus() {
            Map<Integer, Integer> m = new TreeMap<>();
            statuses.forEach((k, v) -> m.put(k, v.intValue()));
            return m;
        }

        long total() {
            return statuses.values().stream().mapToLong(LongAdder::sum).sum() + dropped.get();
        }
    }
}
