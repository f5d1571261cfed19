package dev.llmpool.cache;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.Headers;
import dev.llmpool.api.InferRequest;
import dev.llmpool.api.RequestContextProcessor;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.ensemble.EnsembleProcessor;
import dev.llmpool.ensemble.Outcome;
import dev.llmpool.routing.Plan;
import dev.llmpool.routing.TaskResolver;

/**
 * The response cache, before and after the ensemble. The lookup step answers from the cache (the stored
 * {@link Outcome}: the original answer and metadata), or makes the request wait for an identical one already in
 * flight on this instance (one backend call for all of them), or lets it lead. The store step keeps a fresh
 * successful answer and hands it to the requests waiting for it. {@code "cache": false} or
 * {@code Cache-Control: no-cache} skips the lookup and the waiting, and refreshes the entry.
 */
public class ResponseCache extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger(ResponseCache.class);
    /** Exchange property: the request's cache key (SHA-256, see {@link CacheKeys#responseKey}). */
    public static final String KEY = "llmpool.cacheKey";
    private static final String FLIGHT = "llmpool.cacheFlight";
    private static final String STORE = "llmpool.cacheStore";

    /** What a waiting request gets from the one it waited for. */
    private record Answer(Outcome outcome, boolean fromCache) {
    }

    private final Store store;
    private final CacheKeys keys;
    private final ObjectMapper mapper;
    private final CacheMetrics metrics;
    private final Duration ttl;
    private final InFlight<Answer> flights = new InFlight<>();

    public ResponseCache(Store store, CacheKeys keys, ObjectMapper mapper, CacheMetrics metrics, Duration ttl) {
        this.store = store;
        this.keys = keys;
        this.mapper = mapper;
        this.metrics = metrics;
        this.ttl = ttl;
    }

    /** The lookup step. */
    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        if (exchange.getProperty(Headers.REPLAY) != null) {
            callback.done(true);  // an idempotent replay needs no answer
            return true;
        }
        InferRequest req = exchange.getProperty(Headers.REQUEST, InferRequest.class);
        String key = keys.responseKey(req, exchange.getProperty(RequestContextProcessor.CONFIG, PoolConfig.class));
        exchange.setProperty(KEY, key);
        if (bypassed(req, exchange)) {
            metrics.cache("bypass");
            exchange.setProperty(STORE, true);
            callback.done(true);
            return true;
        }
        InFlight.Flight<Answer> mine = new InFlight.Flight<>(key);
        InFlight.Flight<Answer> running = flights.leadOrJoin(key, mine);
        if (running != null) {
            metrics.cache("coalesced");
            return waitFor(running, exchange, callback);
        }
        // Leading from here on; read the cache only now, so no answer can land unseen in between.
        Outcome hit = read(key);
        if (hit != null) {
            metrics.cache("hit");
            flights.land(key, mine, new Answer(hit, true));
            answer(exchange, hit, true);
        } else {
            metrics.cache("miss");
            exchange.setProperty(FLIGHT, mine);
            exchange.setProperty(STORE, true);
            flights.endWith(exchange, key, mine, () -> { });
        }
        callback.done(true);
        return true;
    }

    /** The store step, after the ensemble: only fresh successful answers reach it. */
    @SuppressWarnings("unchecked")
    public void store(Exchange exchange) {
        Outcome outcome = EnsembleProcessor.outcome(exchange);
        if (!exchange.getProperty(STORE, false, Boolean.class) || outcome == null) {
            return;
        }
        String key = exchange.getProperty(KEY, String.class);
        if (isComplete(outcome)) {
            write(key, outcome);
        }
        InFlight.Flight<Answer> flight = exchange.getProperty(FLIGHT, InFlight.Flight.class);
        if (flight != null) {
            flights.land(key, flight, new Answer(outcome, false));
        }
    }

    private boolean waitFor(InFlight.Flight<Answer> running, Exchange exchange, AsyncCallback callback) {
        Plan plan = exchange.getProperty(TaskResolver.PLAN, Plan.class);
        return InFlight.resume(running.await(plan.remainingMillis()), callback, (answer, error) -> {
            if (error == null) {
                answer(exchange, answer.outcome(), answer.fromCache());
            } else {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                exchange.setException(cause instanceof TimeoutException
                        ? new ApiException(504, "deadline_exceeded", "no answer within the deadline of "
                                + (plan.deadlineNanos() - plan.startedNanos()) / 1_000_000 + " ms", null)
                        : cause);
            }
        });
    }

    private static void answer(Exchange exchange, Outcome outcome, boolean fromCache) {
        exchange.setProperty(EnsembleProcessor.OUTCOME, outcome);
        exchange.setProperty(Headers.FROM_CACHE, fromCache);
    }

    private static boolean bypassed(InferRequest req, Exchange exchange) {
        if (!req.cache()) {
            return true;
        }
        String cacheControl = exchange.getProperty(Headers.CACHE_CONTROL, String.class);
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

    private Outcome read(String key) {
        try {
            String json = store.get("cache:" + key);
            return json == null ? null : mapper.readValue(json, Outcome.class);
        } catch (Store.Unavailable e) {
            return null;
        } catch (JsonProcessingException e) {
            LOG.warn("event=cache_entry_unreadable key={} reason=\"{}\"", key, e.getOriginalMessage());
            return null;
        }
    }

    private void write(String key, Outcome outcome) {
        try {
            store.put("cache:" + key, mapper.writeValueAsString(outcome), ttl);
        } catch (Store.Unavailable e) {
            // counted and logged by the store; the answer is served all the same
        } catch (JsonProcessingException e) {
            LOG.warn("event=cache_entry_unwritable key={} reason=\"{}\"", key, e.getOriginalMessage());
        }
    }
}
