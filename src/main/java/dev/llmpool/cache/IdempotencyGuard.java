package dev.llmpool.cache;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.InferRequest;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.logging.LogText;
import dev.llmpool.routing.TaskResolver;

/**
 * {@code Idempotency-Key}: a request repeated with the same key and the same body (in canonical form) gets the
 * first one's 200 response again, byte for byte, without a backend call; while the first is still running the
 * repeat waits for it (here through {@link InFlight}, on other instances by polling the shared store) and gets
 * its response, or its error. The same key with another body is a 409. Only a 200 is kept (for
 * {@code pool.idempotency.ttl-seconds}); a failed request frees its key, so a retry runs again.
 *
 * <p>Two route steps: {@link #process} before the work, {@link #recordStep} after the response is written. Neither
 * holds a thread while it waits (for the first request, or for the store): each completes the exchange's callback
 * when the wait is over.
 */
public class IdempotencyGuard extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger(IdempotencyGuard.class);
    private static final long POLL_MS = 50;
    /** A claim outlives the request's deadline by this much, so a crashed instance does not hold a key for long. */
    private static final long CLAIM_GRACE_MS = 5000;

    /**
     * What the store keeps per key: the body's fingerprint and, once done, the response to replay.
     * {@code requestId} is the claiming request while pending and the original request once done.
     */
    record Entry(String fingerprint, String requestId, String body) {
        boolean done() {
            return body != null;
        }
    }

    private final Store store;
    private final CacheKeys keys;
    private final ObjectMapper mapper;
    private final CacheMetrics metrics;
    private final Duration ttl;
    private final long waitMs;
    private final ScheduledExecutorService timers;
    private final InFlight<Entry> flights = new InFlight<>();
    private final AsyncProcessor recordStep = new AsyncProcessorSupport() {
        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            return record(exchange, callback);
        }
    };

    public IdempotencyGuard(Store store, CacheKeys keys, ObjectMapper mapper, CacheMetrics metrics, Duration ttl,
                            long waitMs, ScheduledExecutorService timers) {
        this.store = store;
        this.keys = keys;
        this.mapper = mapper;
        this.metrics = metrics;
        this.ttl = ttl;
        this.waitMs = waitMs;
        this.timers = timers;
    }

    /** Before the work: replay, wait, refuse (409), or claim the key for this request. */
    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        RequestState state = RequestState.of(exchange);
        String given = state.idempotencyKey();
        if (given == null || given.isEmpty()) {
            callback.done(true);
            return true;
        }
        if (!isValidKey(given)) {
            exchange.setException(ApiException.invalid("Idempotency-Key",
                    "Idempotency-Key must be 1 to 255 visible ASCII characters"));
            callback.done(true);
            return true;
        }
        InferRequest req = state.request();
        String requestId = state.requestId();
        String fingerprint = keys.fingerprint(req);
        String key = scoped(exchange, given);
        InFlight.Flight<Entry> mine = new InFlight.Flight<>(fingerprint);
        InFlight.Flight<Entry> running = flights.leadOrJoin(key, mine, exchange);
        CompletableFuture<Entry> decided;
        if (running != null) {
            if (!running.fingerprint().equals(fingerprint)) {
                metrics.idempotency("conflict");
                exchange.setException(conflict(key));
                callback.done(true);
                return true;
            }
            metrics.idempotency("waited");
            decided = running.await(waitMs);
        } else {
            flights.endWith(exchange, key, mine, () -> release(key, requestId));
            decided = claim(key, new Entry(fingerprint, requestId, null), claimTtl(exchange, req))
                    .whenComplete((earlier, error) -> {
                        if (earlier != null) {
                            flights.land(key, mine, earlier);  // done elsewhere: waiters here replay it too
                        } else if (error == null) {
                            state.setIdempotencyFlight(mine);
                        }
                    });
        }
        return InFlight.resume(decided, callback, (earlier, error) -> {
            if (error != null) {
                Throwable cause = Store.cause(error);
                exchange.setException(cause instanceof TimeoutException ? inProgress(key) : cause);
            } else if (earlier != null) {
                metrics.idempotency("replayed");
                state.setReplay(earlier.body(), earlier.requestId());
            } else {
                metrics.idempotency("new");
            }
        });
    }

    /** The record step, for the route. */
    public AsyncProcessor recordStep() {
        return recordStep;
    }

    /**
     * After the response is written: a 200 is kept for replays and handed to the requests waiting here. The route
     * goes on once the store has it, so a repeat on another instance finds it.
     */
    @SuppressWarnings("unchecked")
    private boolean record(Exchange exchange, AsyncCallback callback) {
        @SuppressWarnings("unchecked")
        InFlight.Flight<Entry> mine = (InFlight.Flight<Entry>) RequestState.of(exchange).idempotencyFlight();
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        if (mine == null || status == null || status != 200) {
            callback.done(true);  // not ours, or failed: the completion hook frees the key
            return true;
        }
        String key = scoped(exchange, RequestState.of(exchange).idempotencyKey());
        Entry done = new Entry(mine.fingerprint(), RequestState.of(exchange).requestId(),
                exchange.getMessage().getBody(String.class));
        CompletableFuture<Void> kept;
        try {
            kept = store.put("idem:" + key, mapper.writeValueAsString(done), ttl);
        } catch (JsonProcessingException e) {
            kept = CompletableFuture.failedFuture(e);
        }
        return InFlight.resume(kept, callback, (ok, error) -> {
            if (error != null) {
                LOG.warn("event=idempotency_not_kept key=\"{}\" request_id={} reason=\"{}\"", LogText.of(key),
                        done.requestId(), LogText.of(Store.cause(error).getMessage()));
            }
            flights.land(key, mine, done);
        });
    }

    /** Completes with null once this request owns the key, or with the done entry to replay; 409 otherwise. */
    private CompletableFuture<Entry> claim(String key, Entry pending, Duration claimTtl) {
        CompletableFuture<Entry> result = new CompletableFuture<>();
        attempt(key, pending, claimTtl, System.nanoTime() + waitMs * 1_000_000L, false, 0, result);
        return result;
    }

    /**
     * One look at the shared store: claim the key if it is free, replay it if done, refuse it if bound to another
     * body; if it is still running elsewhere (or three claims in a row lost a race), look again in POLL_MS.
     */
    private void attempt(String key, Entry pending, Duration claimTtl, long giveUpNanos, boolean waiting, int tries,
                         CompletableFuture<Entry> result) {
        store.get("idem:" + key).whenComplete((stored, error) -> {
            if (error != null) {
                storeFailed(error, result);
                return;
            }
            try {
                if (stored == null) {
                    store.putIfAbsent("idem:" + key, mapper.writeValueAsString(pending), claimTtl).whenComplete((claimed, e) -> {
                        if (e != null) {
                            storeFailed(e, result);
                        } else if (claimed) {
                            result.complete(null);
                        } else if (tries < 2) {
                            attempt(key, pending, claimTtl, giveUpNanos, waiting, tries + 1, result);  // claimed elsewhere meanwhile: look again
                        } else {
                            later(key, pending, claimTtl, giveUpNanos, waiting, result);
                        }
                    });
                    return;
                }
                Entry entry = mapper.readValue(stored, Entry.class);
                if (!entry.fingerprint().equals(pending.fingerprint())) {
                    metrics.idempotency("conflict");
                    result.completeExceptionally(conflict(key));
                } else if (entry.done()) {
                    result.complete(entry);
                } else {
                    later(key, pending, claimTtl, giveUpNanos, waiting, result);  // still running on another instance
                }
            } catch (JsonProcessingException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
    }

    private void later(String key, Entry pending, Duration claimTtl, long giveUpNanos, boolean waiting,
                       CompletableFuture<Entry> result) {
        if (System.nanoTime() >= giveUpNanos) {
            result.completeExceptionally(inProgress(key));
            return;
        }
        if (!waiting) {
            metrics.idempotency("waited");
        }
        timers.schedule(() -> attempt(key, pending, claimTtl, giveUpNanos, true, 0, result), POLL_MS,
                TimeUnit.MILLISECONDS);
    }

    private static void storeFailed(Throwable error, CompletableFuture<Entry> result) {
        Throwable cause = Store.cause(error);
        if (cause instanceof Store.Unavailable) {
            result.complete(null);  // no shared store just now: go on; this instance's flights still guard the key
        } else {
            result.completeExceptionally(cause);
        }
    }

    /** Frees the key after a failure, unless it is no longer this request's claim. Nobody waits for it. */
    private void release(String key, String requestId) {
        store.get("idem:" + key).thenCompose(stored -> {
            if (stored != null) {
                try {
                    Entry entry = mapper.readValue(stored, Entry.class);
                    if (!entry.done() && requestId.equals(entry.requestId())) {
                        return store.delete("idem:" + key);
                    }
                } catch (JsonProcessingException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }
            return CompletableFuture.completedFuture(null);
        }).whenComplete((ok, error) -> {
            if (error != null) {
                LOG.warn("event=idempotency_not_released key=\"{}\" request_id={} reason=\"{}\"", LogText.of(key),
                        requestId, LogText.of(Store.cause(error).getMessage()));
            }
        });
    }

    private static Duration claimTtl(Exchange exchange, InferRequest req) {
        PoolConfig config = RequestState.of(exchange).config();
        return Duration.ofMillis(TaskResolver.deadlineMs(req, config.task(req.task())) + CLAIM_GRACE_MS);
    }

    /**
     * The caller's key within its tenant ({@code <tenant>/<key>}; tenant names have no '/'): the same key from two
     * tenants is two keys.
     */
    private static String scoped(Exchange exchange, String key) {
        return RequestState.of(exchange).tenantOrDefault() + "/" + key;
    }

    /** 1 to 255 visible ASCII characters. */
    private static boolean isValidKey(String key) {
        if (key.length() > 255) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                return false;
            }
        }
        return true;
    }

    private static ApiException conflict(String scopedKey) {
        String key = scopedKey.substring(scopedKey.indexOf('/') + 1);
        return new ApiException(409, "idempotency_key_reused", "Idempotency-Key '" + key + "' was already used with a"
                + " different request body; use a new key for a different request", "Idempotency-Key");
    }

    private static ApiException inProgress(String scopedKey) {
        String key = scopedKey.substring(scopedKey.indexOf('/') + 1);
        return new ApiException(409, "idempotency_in_progress", "a request with Idempotency-Key '" + key
                + "' is still in progress; retry later", "Idempotency-Key");
    }
}
