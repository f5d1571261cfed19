package dev.llmpool.resilience;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;

import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

import dev.llmpool.config.ProviderConfig;
import dev.llmpool.providers.ProviderException;

/**
 * One provider's replicas, and which of them a call goes to: the usable one with the fewest calls in flight, ties
 * broken by the lower recent latency; a replica whose breaker is open gets no calls until the breaker lets probes
 * through again, and one whose last health check failed none until a check passes (when every replica's check
 * fails the provider is down, and no request plans it).
 */
final class ReplicaChoice {

    private final String provider;
    private final CircuitBreakerRegistry breakers;
    /** (provider, replica URL): whether the replica's last health check failed. */
    private final BiPredicate<String, String> checkFailed;
    private final AtomicLong choices = new AtomicLong();
    private volatile List<Replica> replicas = List.of();
    private volatile ProviderConfig settings;

    ReplicaChoice(String provider, CircuitBreakerRegistry breakers, BiPredicate<String, String> checkFailed) {
        this.provider = provider;
        this.breakers = breakers;
        this.checkFailed = checkFailed;
    }

    /** Whether the replica may get calls now: its breaker lets them through and its last health check did not fail. */
    boolean mayGetCalls(Replica r) {
        return r.usable() && !checkFailed.test(provider, r.url());
    }

    /** The replicas now, in configuration order. */
    List<Replica> replicas() {
        return replicas;
    }

    /** The provider's settings last applied. */
    ProviderConfig settings() {
        return settings;
    }

    /**
     * Takes the provider's current settings. A change of breaker settings or max-concurrency gives every replica a
     * fresh breaker (closed, empty window) and bulkhead; otherwise replicas that stay keep theirs, new ones get fresh
     * guards, and removed ones get no new calls while the calls they have in flight finish (their permits hold their
     * own guards).
     */
    synchronized void apply(ProviderConfig p) {
        ProviderConfig before = settings;
        boolean fresh = before == null || !before.breaker().equals(p.breaker())
                || before.maxConcurrency() != p.maxConcurrency();
        List<Replica> next = new ArrayList<>();
        for (String url : p.replicaUrls()) {
            String breakerName = ProviderGuards.breakerName(provider, url, p.replicaUrls().size());
            Replica kept = fresh ? null : replicas.stream().filter(r -> r.url().equals(url)
                    && r.breaker().getName().equals(breakerName)).findFirst().orElse(null);
            next.add(kept != null ? kept : Replica.fresh(breakerName, url, p, breakers));
        }
        // A breaker no replica uses any more leaves the registry (and /health); its calls in flight still end
        for (Replica old : replicas) {
            if (!next.contains(old)) {
                old.removed = true;
                breakers.find(old.breaker().getName()).filter(b -> b == old.breaker())
                        .ifPresent(b -> breakers.remove(b.getName()));
            }
        }
        settings = p;
        replicas = List.copyOf(next);
    }

    /** Whether some usable replica has a free slot now. */
    boolean anyFreeSlot() {
        return replicas.stream().anyMatch(r -> mayGetCalls(r) && r.hasFreeSlot());
    }

    /**
     * The least-loaded usable replica's permit; a refusal says whether all were full, broken or failing their checks.
     *
     * @param slotGivenBack run when the permit's slot goes back (the provider's queue hands it on)
     */
    Permit tryAcquire(Runnable slotGivenBack) {
        // Latencies within a step of each other count as equal (the noise of equal replicas must not send every
        // call to whichever was a hair faster): then the one chosen least recently goes first. Sorted on a
        // snapshot: other threads change the counts meanwhile.
        record Load(Replica replica, int inFlight, int latencyStep, long lastChosen) {
        }
        List<Replica> candidates = replicas.stream().map(r -> new Load(r, r.inFlight(), r.latencyStep(), r.lastChosen))
                .sorted(Comparator.comparingInt(Load::inFlight).thenComparingInt(Load::latencyStep)
                        .thenComparingLong(Load::lastChosen))
                .map(Load::replica).toList();
        RuntimeException refusal = null;
        for (Replica r : candidates) {
            if (!mayGetCalls(r)) {
                if (refusal == null) { // the breaker's own words when it is the reason
                    refusal = r.usable() ? new ProviderException(0, "last health check failed")
                            : CallNotPermittedException.createCallNotPermittedException(r.breaker());
                }
                continue;
            }
            if (!r.bulkhead().tryAcquirePermission()) {
                refusal = BulkheadFullException.createBulkheadFullException(r.bulkhead());
                continue;
            }
            if (!r.breaker().tryAcquirePermission()) { // half open, its probes taken
                r.bulkhead().onComplete();
                if (!(refusal instanceof BulkheadFullException)) {
                    refusal = CallNotPermittedException.createCallNotPermittedException(r.breaker());
                }
                continue;
            }
            r.lastChosen = choices.incrementAndGet();
            return new Permit(r, slotGivenBack);
        }
        return Permit.refused(refusal != null ? refusal
                : new IllegalStateException("provider " + provider + " has no replica"));
    }
}
