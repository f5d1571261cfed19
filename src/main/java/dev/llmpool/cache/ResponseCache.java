package dev.llmpool.cache;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.InferRequest;
import dev.llmpool.api.OutcomeJson;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.ensemble.EnsembleProcessor;
import dev.llmpool.ensemble.Outcome;
import dev.llmpool.routing.TaskResolver;

/**
 * The response cache, before and after the ensemble. The lookup step answers from the cache (the stored
 * {@link Outcome}: the original answer and metadata), or makes the request wait for an identical one already in
 * flight on this instance (one backend call for all of them), or lets it lead. The store step keeps a fresh
 * successful answer and hands it to the requests waiting for it. {@code "cache": false} or
 * {@code Cache-Control: no-cache} skips the lookup and the waiting, and refreshes the entry.
 *
 * <p>The lookup needs only the request and the configuration snapshot (the key covers the task's configuration),
 * so it runs before the task is resolved: a hit is answered without resolving the task at all. Neither step
 * holds a thread while it waits (for a request in flight, or for Redis): each completes the exchange's callback
 * when the wait is over.
 */
public class ResponseCache extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger(ResponseCache.class);

    /** What a waiting request gets from the one it waited for, with the answer's body rendered. */
    private record Answer(Outcome outcome, boolean fromCache, OutcomeJson json) {
    }

    /** A cached answer as the local store keeps it once read: decoded, and its response body rendered. */
    private record Cached(Outcome outcome, OutcomeJson json) {
    }

    private final Store store;
    private final CacheKeys keys;
    private final ObjectMapper mapper;
    private final ObjectReader outcomes;
    private final CacheMetrics metrics;
    private final Duration ttl;
    private final InFlight<Answer> flights = new InFlight<>();
    /** Told of every request answered from, or stored into, the cache; null when off (or the store is Redis). */
    private volatile ExactRepeats repeats;
    private final AsyncProcessor storeStep = new AsyncProcessorSupport() {
        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            return store(exchange, callback);
        }
    };

    public ResponseCache(Store store, CacheKeys keys, ObjectMapper mapper, CacheMetrics metrics, Duration ttl) {
        this.store = store;
        this.keys = keys;
        this.mapper = mapper;
        this.outcomes = mapper.readerFor(Outcome.class);
        this.metrics = metrics;
        this.ttl = ttl;
    }

    /** Lets {@code repeats} answer exact repeats of the requests this cache answers from now on. */
    public void rememberRepeatsIn(ExactRepeats repeats) {
        this.repeats = repeats;
    }

    /** Where the store keeps the answer for a cache key. */
    public static String storeKey(String key) {
        return "cache:" + key;
    }

    /**
     * The rendered answer kept under a store key ({@link #storeKey}) if the store has it at hand (the in-memory
     * store), else null.
     */
    public OutcomeJson cachedNow(String storeKey) {
        CompletableFuture<Cached> hit = readStored(storeKey);
        Cached cached = hit.isDone() ? hit.join() : null;
        return cached == null ? null : cached.json();
    }

    /** The store step, for the route (after the ensemble). */
    public AsyncProcessor storeStep() {
        return storeStep;
    }

    /** The lookup step. */
    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        RequestState state = RequestState.of(exchange);
        if (state.replay() != null) {
            state.setAnswered(true);  // an idempotent replay needs no answer
            callback.done(true);
            return true;
        }
        InferRequest req = state.request();
        PoolConfig config = state.config();
        String key = keys.responseKey(req, config, state.tenantOrDefault());
        state.setCacheKey(key);
        if (bypassed(req, exchange)) {
            metrics.cache("bypass");
            state.setCacheStore(true);
            callback.done(true);
            return true;
        }
        // Most requests for a cached answer: one read, nothing registered.
        CompletableFuture<Cached> cached = read(key);
        if (cached.isDone()) {
            return afterRead(cached.join(), exchange, key, req, config, callback);
        }
        cached.thenAccept(hit -> afterRead(hit, exchange, key, req, config, doneSync -> callback.done(false)));
        return false;
    }

    /** A hit is answered; on a miss the request waits for an identical one in flight, or leads. */
    private boolean afterRead(Cached hit, Exchange exchange, String key, InferRequest req, PoolConfig config,
                              AsyncCallback callback) {
        if (hit != null) {
            metrics.cache("hit");
            remember(exchange, key);
            answer(exchange, new Answer(hit.outcome(), true, hit.json()));
            callback.done(true);
            return true;
        }
        InFlight.Flight<Answer> mine = new InFlight.Flight<>(key);
        InFlight.Flight<Answer> running = flights.leadOrJoin(key, mine, exchange);
        if (running != null) {
            metrics.cache("coalesced");
            return waitFor(running, exchange, req, config, callback);
        }
        // Leading from here on. Read again: an answer stored since the first read (its flight has landed, so this
        // request could lead) is found now; none can be stored unseen after this read.
        return InFlight.resume(read(key), callback, (again, error) -> {
            if (again != null) {
                metrics.cache("hit");
                Answer answer = new Answer(again.outcome(), true, again.json());
                flights.land(key, mine, answer);
                remember(exchange, key);
                answer(exchange, answer);
            } else {
                metrics.cache("miss");
                RequestState state = RequestState.of(exchange);
                state.setCacheFlight(mine);
                state.setCacheStore(true);
                flights.endWith(exchange, key, mine, () -> { });
            }
        });
    }

    /** After the ensemble: only fresh successful answers reach it. Continues once the store has the entry. */
    @SuppressWarnings("unchecked")
    private boolean store(Exchange exchange, AsyncCallback callback) {
        Outcome outcome = EnsembleProcessor.outcome(exchange);
        RequestState state = RequestState.of(exchange);
        if (!state.cacheStore() || outcome == null) {
            callback.done(true);
            return true;
        }
        String key = state.cacheKey();
        InFlight.Flight<Answer> flight = (InFlight.Flight<Answer>) state.cacheFlight();
        OutcomeJson json = OutcomeJson.render(outcome, mapper);  // for the entry, this response and the waiters
        state.setRendered(json);
        CompletableFuture<Void> written = isComplete(outcome)
                ? write(key, new Cached(outcome, json)) : CompletableFuture.completedFuture(null);
        return InFlight.resume(written, callback, (done, error) -> {
            if (flight != null) {  // the lead of a cached request, not a refresh (those bypass the cache)
                flights.land(key, flight, new Answer(outcome, false, json));
                remember(exchange, key);
            }
        });
    }

    private void remember(Exchange exchange, String key) {
        ExactRepeats r = repeats;
        if (r != null) {
            r.remember(exchange, key);
        }
    }

    private boolean waitFor(InFlight.Flight<Answer> running, Exchange exchange, InferRequest req, PoolConfig config,
                            AsyncCallback callback) {
        long started = RequestState.of(exchange).startedNanos();
        long deadlineMs = TaskResolver.deadlineMs(req, config.task(req.task()));
        long remainingMs = Math.max(0, deadlineMs - (System.nanoTime() - started) / 1_000_000);
        return InFlight.resume(running.await(remainingMs), callback, (answer, error) -> {
            if (error == null) {
                answer(exchange, answer);
            } else {
                Throwable cause = Store.cause(error);
                exchange.setException(cause instanceof TimeoutException
                        ? new ApiException(504, "deadline_exceeded", "no answer within the deadline of "
                                + deadlineMs + " ms", null)
                        : cause);
            }
        });
    }

    private static void answer(Exchange exchange, Answer answer) {
        RequestState state = RequestState.of(exchange);
        state.setOutcome(answer.outcome());
        state.setFromCache(answer.fromCache());
        state.setAnswered(true);
        if (answer.json() != null) {
            state.setRendered(answer.json());
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("event=answered_without_ensemble request_id={} from_cache={}",
                    state.requestId(), answer.fromCache());
        }
    }

    private static boolean bypassed(InferRequest req, Exchange exchange) {
        if (!req.cache()) {
            return true;
        }
        String cacheControl = RequestState.of(exchange).cacheControl();
        if (cacheControl != null) {
            for (String directive : cacheControl.split(",")) {
                if (directive.trim().toLowerCase(Locale.ROOT).startsWith("no-cache")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A JUDGE answer whose judge was skipped is a fallback: served, not kept. */
    private static boolean isComplete(Outcome outcome) {
        return outcome.judge() == null || !Boolean.TRUE.equals(outcome.judge().get("skipped"));
    }

    /** The cached answer, or null (absent, unreadable, or the store unavailable): never a failed future. */
    private CompletableFuture<Cached> read(String key) {
        return readStored(storeKey(key));
    }

    private CompletableFuture<Cached> readStored(String storeKey) {
        CompletableFuture<Cached> hit = store.get(storeKey, json -> decode(storeKey, json));
        if (hit.isDone() && !hit.isCompletedExceptionally()) {
            return hit;  // the local store: no extra stage
        }
        return hit.exceptionally(error -> null);  // Store.Unavailable: counted and logged by the store
    }

    private Cached decode(String key, String json) {
        try {
            Outcome outcome = outcomes.readValue(json);
            return new Cached(outcome, OutcomeJson.render(outcome, mapper));
        } catch (JsonProcessingException e) {
            LOG.warn("event=cache_entry_unreadable key={} reason=\"{}\"", key, e.getOriginalMessage());
            return null;
        }
    }

    /** Stores the answer with its rendered body (which the response then uses too). */
    private CompletableFuture<Void> write(String key, Cached answer) {
        // Store.Unavailable is counted and logged by the store; the answer is served all the same.
        return store.put(storeKey(key), answer, this::encode, ttl).exceptionally(error -> {
            if (!(Store.cause(error) instanceof Store.Unavailable)) {
                LOG.warn("event=cache_entry_unwritable key={} reason=\"{}\"", key, Store.cause(error).getMessage());
            }
            return null;
        });
    }

    private String encode(Cached answer) {
        try {
            return mapper.writeValueAsString(answer.outcome());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e.getOriginalMessage(), e);
        }
    }
}
