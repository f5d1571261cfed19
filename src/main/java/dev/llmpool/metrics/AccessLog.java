package dev.llmpool.metrics;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per finished request on the logger {@code dev.llmpool.access}: {@code kv} (key=value, the style of every
 * other log line) or {@code json} ({@code pool.log.format}). Values are escaped so that no value, whoever chose it,
 * can end the line or pass for another key: in kv a value with anything but {@code [A-Za-z0-9._:/+-]} is quoted, with
 * quotes, backslashes and control characters escaped; JSON is written by Jackson, which escapes them too.
 */
public class AccessLog implements Consumer<FinishedRequest> {

    /** OFF: no access log (a benchmark of cache hits, or a front proxy that logs already). */
    public enum Format { KV, JSON, OFF }

    private static final Logger LOG = LoggerFactory.getLogger("dev.llmpool.access");

    private final Format format;
    private final ObjectMapper mapper;

    public AccessLog(Format format, ObjectMapper mapper) {
        this.format = format;
        this.mapper = mapper;
    }

    /** {@code kv}, {@code json} or {@code off} (pool.log.format), case-insensitive. */
    public static Format format(String value) {
        try {
            return Format.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pool.log.format must be kv, json or off, got '" + value + "'");
        }
    }

    @Override
    public void accept(FinishedRequest r) {
        if (LOG.isInfoEnabled()) {
            LOG.info(line(r));
        }
    }

    /** The line for this request, in the configured format. */
    public String line(FinishedRequest r) {
        Map<String, Object> fields = fields(r);
        return format == Format.JSON ? json(fields) : kv(fields);
    }

    private static Map<String, Object> fields(FinishedRequest r) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("event", "request");
        f.put("request_id", r.requestId());
        f.put("tenant", r.tenant());
        f.put("api", r.api());
        f.put("task", r.task());
        f.put("strategy", r.strategy());
        f.put("winner", r.winner());
        f.put("status", r.status());
        f.put("error", r.errorCode());
        f.put("duration_ms", millis(r.durationNanos()));
        f.put("overhead_ms", millis(r.overheadNanos()));
        f.put("prompt_tokens", r.promptTokens());
        f.put("completion_tokens", r.completionTokens());
        f.put("from_cache", r.fromCache());
        f.put("trace_id", r.traceId());
        return f;
    }

    /** Milliseconds with microsecond precision. */
    private static double millis(long nanos) {
        return Math.round(nanos / 1000.0) / 1000.0;
    }

    private String json(Map<String, Object> fields) {
        try {
            return mapper.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // strings, numbers and booleans always serialise
        }
    }

    static String kv(Map<String, Object> fields) {
        StringBuilder b = new StringBuilder(256);
        fields.forEach((k, v) -> {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(k).append('=');
            appendValue(b, v == null ? "-" : v.toString());
        });
        return b.toString();
    }

    private static void appendValue(StringBuilder b, String v) {
        if (!v.isEmpty() && v.chars().allMatch(AccessLog::plain)) {
            b.append(v);
            return;
        }
        b.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    private static boolean plain(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == ':' || c == '/' || c == '+' || c == '-';
    }
}
