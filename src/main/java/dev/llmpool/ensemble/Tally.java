package dev.llmpool.ensemble;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.llmpool.routing.Plan;

/**
 * The attempts gathered so far for one request, in arrival order. Only touched under the fan-out's lock, or
 * by the single thread that aggregates a Multicast.
 */
public final class Tally {

    private final Plan plan;
    private final List<Attempt> attempts = new ArrayList<>();

    public Tally(Plan plan) {
        this.plan = plan;
    }

    public Plan plan() {
        return plan;
    }

    public void add(Attempt a) {
        attempts.add(a);
    }

    public List<Attempt> attempts() {
        return attempts;
    }

    public List<Attempt> successes() {
        return attempts.stream().filter(Attempt::succeeded).toList();
    }

    /** The configured weight of a provider of this plan (the judge included), 0 if unknown. */
    public double weightOf(String provider) {
        for (var p : plan.providers()) {
            if (p.name().equals(provider)) {
                return p.weight();
            }
        }
        return 0;
    }

    /** Providers that have not answered yet (still running or never fired). */
    public int outstanding() {
        return plan.providers().size() - attempts.size();
    }

    /** provider name → reason, for the 503 body; includes providers left out before the call. */
    public Map<String, String> failures() {
        Map<String, String> m = new LinkedHashMap<>(plan.skipped());
        for (Attempt a : attempts) {
            if (!a.succeeded()) {
                m.put(a.provider(), a.failure());
            }
        }
        return m;
    }

    /** As {@link #failures()}, and every provider that had not answered when the deadline passed says so. */
    public Map<String, String> failuresAtDeadline() {
        Map<String, String> m = failures();
        for (var p : plan.providers()) {
            if (!m.containsKey(p.name()) && attempts.stream().noneMatch(a -> a.provider().equals(p.name()))) {
                m.put(p.name(), "no answer within the deadline");
            }
        }
        return m;
    }
}
