package dev.llmpool.cache;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.CallerLink;
import dev.llmpool.api.RequestState;

/**
 * The work in flight on this instance, by key: the first request for a key leads, later ones wait for its
 * result instead of repeating the work (coalescing, and requests with the same Idempotency-Key). A flight
 * always ends with its leader's exchange: landed with a result, or failed with the leader's error, which every
 * waiter then gets too; either way the key is free again for the next request.
 */
public final class InFlight<T> {

    /** One key's work: the body fingerprint it was started for, and its result to come. */
    public static final class Flight<T> {
        private final String fingerprint;
        private final CompletableFuture<T> result = new CompletableFuture<>();
        private volatile CallerLink leader;

        public Flight(String fingerprint) {
            this.fingerprint = fingerprint;
        }

        public String fingerprint() {
            return fingerprint;
        }

        /** The result, or a TimeoutException after {@code waitMs}. */
        public CompletableFuture<T> await(long waitMs) {
            return result.copy().orTimeout(Math.max(0, waitMs), TimeUnit.MILLISECONDS);
        }
    }

    private final ConcurrentMap<String, Flight<T>> flights = new ConcurrentHashMap<>();

    /**
     * Registers {@code mine} under the key and returns null if the caller now leads; else the flight running, whose
     * work then goes on even if its own caller goes away ({@link CallerLink#keep()}): this one waits for it.
     */
    public Flight<T> leadOrJoin(String key, Flight<T> mine, Exchange exchange) {
        mine.leader = RequestState.of(exchange).callerLink();
        Flight<T> running = flights.putIfAbsent(key, mine);
        CallerLink leader = running == null ? null : running.leader;
        if (leader != null) {
            leader.keep();
        }
        return running;
    }

    public void land(String key, Flight<T> flight, T result) {
        flight.result.complete(result);
        flights.remove(key, flight);
    }

    public void fail(String key, Flight<T> flight, Throwable error) {
        flight.result.completeExceptionally(error);
        flights.remove(key, flight);
    }

    /**
     * Ends the flight when the leader's exchange completes, if nothing landed it before: waiters get the
     * leader's error, and {@code onFailure} undoes what the leader claimed.
     */
    public void endWith(Exchange leader, String key, Flight<T> flight, Runnable onFailure) {
        leader.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange exchange) {
                if (!flight.result.isDone()) {
                    onFailure.run();
                    fail(key, flight, errorOf(exchange));
                }
                flights.remove(key, flight);
            }
        });
    }

    private static Throwable errorOf(Exchange exchange) {
        Throwable e = exchange.getException();
        if (e == null) {
            e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        }
        return e != null ? e : new ApiException(503, "no_provider_available",
                "the identical request this one waited for ended without an answer", null);
    }

    /** Continues the route when the future is done: at once if it already is, else from the completing thread. */
    public static <T> boolean resume(CompletableFuture<T> future, AsyncCallback callback,
                              BiConsumer<T, Throwable> apply) {
        if (future.isDone()) {
            future.whenComplete(apply);
            callback.done(true);
            return true;
        }
        future.whenComplete((value, error) -> {
            apply.accept(value, error);
            callback.done(false);
        });
        return false;
    }
}
