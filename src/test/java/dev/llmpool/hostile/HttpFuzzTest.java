package dev.llmpool.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.api.ErrorShape;
import dev.llmpool.fixture.LogCapture;
import dev.llmpool.fixture.RawHttp;

/**
 * Issue 23's proof: a seeded generator of careless and hostile HTTP requests (wrong methods and paths, framing
 * tricks, odd media types and headers, mutated, truncated, deep or binary bodies, text made to forge log lines).
 * Every answer must be JSON in the shape of the API its path belongs to, with a status from the contract, naming no
 * Java class; the log gets no forged line, no ERROR and no stack trace; a normal request still answers after.
 * {@code -Dfuzz.cases=N} (default 2,000; the {@code fuzz} Maven profile runs 100,000), {@code -Dfuzz.seed=S}.
 */
class HttpFuzzTest extends PoolTestSupport {

    private static final int CASES = Integer.getInteger("fuzz.cases", 2000);
    private static final long SEED = Long.getLong("fuzz.seed", 23L);
    private static final Set<Integer> CONTRACT = Set.of(200, 400, 401, 403, 404, 405, 409, 413, 414, 415, 417, 422,
            429, 431, 503, 504);
    private static final Pattern JAVA_NAME = Pattern.compile("\\b(java|javax|com|org|io|dev|sun|jdk)\\.[a-z]+\\.[A-Za-z]");
    private static final String FORGED = "FORGED-LINE";

    private static final String[] PATHS = {"/v1/infer", "/v1/infer", "/v1/infer", "/health", "/metrics", "/",
            "/v1/chat/completions", "/v1/models", "/api/chat", "/api/tags", "/nowhere", "/v1/infer/", "/v1/infer?x=1",
            "/v1/%00infer", "/v1/infer%0d%0aX:1", "/../etc/passwd", "/v1//infer", "/%ff%fe", "/health?" + "q".repeat(300)};
    private static final String[] METHODS = {"POST", "POST", "POST", "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH",
            "TRACE", "BREW", "post"};
    private static final String[] TYPES = {"application/json", "application/json", "application/json; charset=utf-8",
            "application/jsonx", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "APPLICATION/JSON", "application/json;", "", "application/json, text/plain", "*/*"};
    private static final String[] FIELDS = {"task", "prompt", "max_tokens", "deadline_ms", "strategy", "temperature",
            "format", "cache"};

    private record Outcome(int status, String path, String method, String problem) {
    }

    @Test
    void everyAnswerIsJsonInTheCallersShape() throws Exception {
        List<String> problems = new CopyOnWriteArrayList<>();
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicInteger noAnswer = new AtomicInteger();
        long started = System.nanoTime();
        try (LogCapture log = new LogCapture()) {
            ExecutorService clients = Executors.newFixedThreadPool(4);
            List<Future<?>> running = new ArrayList<>();
            for (int worker = 0; worker < 4; worker++) {
                int w = worker;
                running.add(clients.submit(() -> {
                    Random random = new Random(SEED * 31 + w);
                    for (int i = w; i < CASES; i += 4) {
                        Case c = generate(random);
                        try {
                            RawHttp.Response r = RawHttp.exchange(port, c.bytes, c.method.equals("HEAD"));
                            statuses.computeIfAbsent(r.status(), s -> new AtomicInteger()).incrementAndGet();
                            String problem = check(c, r);
                            if (problem != null && problems.size() < 20) {
                                problems.add(problem + "\n  request: " + printable(c.bytes) + "\n  answer: " + r.status()
                                        + " " + r.headers() + " " + r.body());
                            }
                        } catch (IOException closed) {
                            noAnswer.incrementAndGet();
                            if (!c.mayGoUnanswered && problems.size() < 20) {
                                problems.add("no answer (" + closed.getMessage() + ")\n  request: " + printable(c.bytes));
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
            clients.shutdown();
            long afterNanos = System.nanoTime();
            int after = infer("{\"task\":\"expand_queries\",\"prompt\":\"after the fuzz\"}").statusCode();
            System.out.printf("fuzz: %d cases in %.1f s, statuses %s, closed without an answer %d; a normal request "
                    + "after: %d in %.1f ms%n", CASES, (afterNanos - started) / 1e9, new TreeMap<>(statuses), noAnswer.get(),
                    after, (System.nanoTime() - afterNanos) / 1e6);
            assertEquals(200, after, "a normal request answers after the fuzz");
            assertTrue(problems.isEmpty(), problems.size() + " bad answers, the first:\n" + String.join("\n", problems));
            for (String line : log.lines()) {
                assertTrue(!line.startsWith(FORGED) && !line.contains("\n" + FORGED), "a forged log line: " + line);
                assertTrue(!line.matches("^\\S+ level=ERROR.*"), "an ERROR line: " + line);
                assertTrue(!line.startsWith("\tat ") && !line.startsWith("Caused by"), "a stack trace: " + line);
            }
        }
    }

    private static String check(Case c, RawHttp.Response r) throws IOException {
        if (!CONTRACT.contains(r.status())) {
            return "status " + r.status() + " is not in the contract";
        }
        String type = r.header("content-type");
        if (c.method.equals("HEAD")) {
            return null;  // no body to read
        }
        // /metrics and /health answer text by design, and GET / is Ollama's liveness check ("Ollama is running")
        boolean plainAnswer = r.status() == 200 && (c.path.startsWith("/metrics") || c.path.startsWith("/health")
                || c.path.equals("/"));
        if (!plainAnswer && (type == null || !type.startsWith("application/json"))) {
            return "Content-Type " + type;
        }
        if (JAVA_NAME.matcher(r.body()).find() || r.body().contains("Exception")) {
            return "names a Java class";
        }
        if (r.status() >= 400) {
            JsonNode body = JSON.readTree(r.body());
            String path = c.path.contains("?") ? c.path.substring(0, c.path.indexOf('?')) : c.path;
            switch (ErrorShape.of(path)) {
                case OLLAMA -> {
                    if (!body.path("error").isTextual()) {
                        return "not Ollama's error shape";
                    }
                }
                case OPENAI -> {
                    if (!body.path("error").path("message").isTextual() || !body.path("error").has("type")) {
                        return "not OpenAI's error shape";
                    }
                }
                default -> {
                    if (!body.path("error").path("code").isTextual() || !body.path("request_id").isTextual()) {
                        return "not the task API's error shape";
                    }
                }
            }
        }
        return null;
    }

    /** One generated request: its bytes, and what a checker needs to know of it. */
    private static final class Case {
        String method;
        String path;
        byte[] bytes;
        boolean mayGoUnanswered;
    }

    private static Case generate(Random r) {
        Case c = new Case();
        c.method = pick(r, METHODS);
        c.path = r.nextInt(20) == 0 ? "/" + randomText(r, 1 + r.nextInt(40)).replace(" ", "%20") : pick(r, PATHS);
        byte[] body = body(r);
        StringBuilder head = new StringBuilder(c.method + " " + c.path + " HTTP/1.1\r\nHost: pool\r\n");
        String type = pick(r, TYPES);
        if (!type.isEmpty()) {
            head.append("Content-Type: ").append(type).append("\r\n");
        }
        boolean chunked = false;
        switch (r.nextInt(14)) {
            case 0 -> head.append("Host: other\r\n");
            case 1 -> {
                head.append("Transfer-Encoding: ").append(pick(r, new String[] {"gzip, chunked", "chunked, identity",
                        "CHUNKED", "chunked"})).append("\r\n");
                chunked = true;
            }
            case 2 -> head.append("Expect: ").append(pick(r, new String[] {"100-continue", "200-ok", ""})).append("\r\n");
            case 3 -> head.append("Idempotency-Key: ").append(pick(r, new String[] {"", " ", "k" + r.nextInt(5),
                    "x".repeat(300)})).append("\r\n");
            case 4 -> head.append("X-Request-Id: ").append(pick(r, new String[] {"abc", "a b c", "x".repeat(200),
                    "id\u00e9"})).append("\r\n");
            case 5 -> head.append("X-Folded: a\r\n  folded\r\n");
            case 6 -> head.append("X-Big: ").append("b".repeat(r.nextBoolean() ? 100 : 9000)).append("\r\n");
            case 7 -> head.append("Content-Length: ").append(pick(r, new String[] {"-1", "abc", "99999999999",
                    body.length + ", " + body.length})).append("\r\n");
            case 8 -> head.append("Cache-Control: no-cache\r\n");
            default -> { }
        }
        boolean declared = head.indexOf("Content-Length:") >= 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (chunked) {
            head.append("\r\n");
            out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            boolean badSize = r.nextInt(4) == 0;
            String size = badSize ? "zz" : Integer.toHexString(body.length);
            // Netty closes the connection on a malformed chunk at once: the 400 written meanwhile may be lost to the
            // reset that closing a socket with unread input sends (the log still gets its one WARN line)
            c.mayGoUnanswered = badSize;
            out.writeBytes((size + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(body);
            out.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } else {
            if (!declared) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("Connection: close\r\n\r\n");
            out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes(body);
        }
        c.bytes = out.toByteArray();
        // a declared length longer than the body sent: the server waits for the rest, and the client gives up
        c.mayGoUnanswered |= declared || (chunked && !head.toString().contains("Transfer-Encoding: chunked\r\n")
                && !head.toString().contains("Transfer-Encoding: CHUNKED\r\n"));
        return c;
    }

    private static byte[] body(Random r) {
        switch (r.nextInt(12)) {
            case 0:
                return new byte[0];
            case 1:
                return "[".repeat(1 + r.nextInt(3000)).getBytes(StandardCharsets.US_ASCII);
            case 2: {
                byte[] b = new byte[r.nextInt(200)];
                r.nextBytes(b);
                return b;
            }
            case 3:
                return ("{\"task\":\"expand_queries\",\"prompt\":\"hi\",\"max_tokens\":1" + "0".repeat(1 + r.nextInt(3000))
                        + "}").getBytes(StandardCharsets.US_ASCII);
            default:
                break;
        }
        StringBuilder json = new StringBuilder("{");
        int fields = r.nextInt(6);
        for (int i = 0; i < fields; i++) {
            if (i > 0) {
                json.append(',');
            }
            String name = r.nextInt(8) == 0 ? "x\n" + FORGED + " level=ERROR event=forged " + randomText(r, 10)
                    : pick(r, FIELDS);
            json.append(quote(name)).append(':').append(value(r, 0));
        }
        if (r.nextBoolean()) {
            json.setLength(0);
            json.append("{\"task\":").append(r.nextInt(5) == 0 ? quote("x\n" + FORGED + " level=ERROR event=forged")
                    : quote(pick(r, new String[] {"expand_queries", "enrich_metadata", "nope", ""}))).append(",\"prompt\":")
                    .append(quote(randomText(r, r.nextInt(60))));
        }
        json.append('}');
        String text = json.toString();
        if (r.nextInt(8) == 0) {
            text = text.substring(0, r.nextInt(text.length() + 1));  // truncated
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String value(Random r, int depth) {
        return switch (depth > 3 ? r.nextInt(5) : r.nextInt(8)) {
            case 0 -> String.valueOf(r.nextInt());
            case 1 -> quote(randomText(r, r.nextInt(30)));
            case 2 -> r.nextBoolean() ? "true" : "null";
            case 3 -> String.valueOf(r.nextDouble() * 4 - 1);
            case 4 -> quote(pick(r, new String[] {"FASTEST", "VOTING", "json", "JUDGE"}));
            case 5 -> "[" + value(r, depth + 1) + "," + value(r, depth + 1) + "]";
            case 6 -> "{\"type\":" + value(r, depth + 1) + "}";
            default -> "1e999";
        };
    }

    private static String randomText(Random r, int length) {
        String alphabet = "abcXYZ09 _-./\\\"'{}[]<>%\u00e9\u4e2d\u0000\u0007\t\r\n\u2028\ud83d\ude00";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pick(Random r, String[] options) {
        return options[r.nextInt(options.length)];
    }

    private static String printable(byte[] bytes) {
        String s = new String(bytes, 0, Math.min(bytes.length, 600), StandardCharsets.ISO_8859_1);
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }
}
