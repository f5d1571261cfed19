package dev.llmpool.api;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

import dev.llmpool.config.ConfigStore;

/**
 * Gives the request its context before anything can fail: a request id (the caller's {@code X-Request-Id}
 * when sane, otherwise a new one), its arrival time, the configuration snapshot it will be served with
 * from start to end, whatever reloads happen meanwhile, and the two caller headers that caching reads
 * ({@code Idempotency-Key}, {@code Cache-Control}), kept in the {@link RequestState} because validation clears every
 * header.
 */
public class RequestContextProcessor implements Processor {

    private final ConfigStore configStore;

    public RequestContextProcessor(ConfigStore configStore) {
        this.configStore = configStore;
    }

    @Override
    public void process(Exchange exchange) {
        RequestState state = RequestState.of(exchange);
        state.setStartedNanos(System.nanoTime());
        Message in = exchange.getIn();
        Object given = in.getHeader(Headers.REQUEST_ID);
        state.setRequestId(requestId(given instanceof String s ? s : null));
        Object door = exchange.getProperty(RequestState.DOOR_API);
        if (door != null) {
            state.setApi(door.toString());
        }
        Object tenant = exchange.getProperty(RequestState.DOOR_TENANT);
        if (tenant != null) {
            state.setTenant(tenant.toString());
        }
        state.setConfig(state.providerTasks() ? configStore.currentWithProviderTasks() : configStore.current());
        String key = text(in.getHeader("Idempotency-Key"));
        state.setIdempotencyKey(key);
        if (key != null && (key.isBlank() || key.length() > 255 || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
            // an empty key is a caller's mistake, not "no key": it must not silently turn idempotency off
            throw ApiException.invalid("Idempotency-Key", "Idempotency-Key must be 1 to 255 visible ASCII characters");
        }
        state.setCacheControl(text(in.getHeader("Cache-Control")));
    }

    /** The caller's X-Request-Id when sane (see {@link #isSafe}), otherwise a new one. */
    public static String requestId(String given) {
        return given != null && isSafe(given) ? given : newRequestId();
    }

    /**
     * A random (version 4) UUID. Request ids need to be unique, not unpredictable, so this uses the thread's own
     * generator rather than {@link UUID#randomUUID()}'s shared SecureRandom.
     */
    public static String newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L;                       // version 4
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;  // IETF variant
        return new UUID(msb, lsb).toString();
    }

    private static String text(Object header) {
        return header == null ? null : header.toString();
    }

    /** 1 to 128 of {@code A-Z a-z 0-9 . _ : -}: safe to echo in a header and to log. */
    private static boolean isSafe(String id) {
        int n = id.length();
        if (n == 0 || n > 128) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == ':' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
