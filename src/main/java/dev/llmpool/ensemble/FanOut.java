package dev.llmpool.ensemble;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.config.ProviderConfig;
import dev.llmpool.metrics.BackendWait;
import dev.llmpool.metrics.TokenMeter;
import dev.llmpool.providers.ProviderCall;
import dev.llmpool.routing.Plan;
import dev.llmpool.routing.ProviderCalls;
import dev.llmpool.routing.TaskResolver;

/**
 * One request's fan-out over its providers' routes: the piece Multicast cannot be in Camel 4.17. It sends
 * each branch to its provider's route without waiting for it ({@link ProviderCalls}), feeds replies to the strategy (an AggregationStrategy),
 * and completes the caller's exchange the moment the strategy says the outcome is decided, the deadline
 * passes, or no provider is left; fires the next provider when one fails, or as a hedge when the first is
 * slow. Losing calls are not waited for: their HTTP response timeout (the request's deadline) ends them.
 */
final class FanOut {

    private static final Logger LOG = LoggerFactory.getLogger(FanOut.class);
    static final String OUTCOME = "llmpool.outcome";
    private static final String FIRED_NANOS = "llmpool.firedNanos";

    private final Plan plan;
    private final EnsembleStrategy strategy;
    private final Exchange exchange;
    private final AsyncCallback callback;
    private final ProviderCalls calls;
    private final ScheduledExecutorService timers;
    private final ProviderStats stats;

    private final List<String> queried = new ArrayList<>();
    private final BackendWait backendWait = new BackendWait(); // for the overhead histogram
    private Exchange aggregate;
    private int fired;
    private int returned;
    private boolean hedged;
    private boolean done;
    private ScheduledFuture<?> deadlineTimer;
    private ScheduledFuture<?> hedgeTimer;

    FanOut(Plan plan, EnsembleStrategy strategy, Exchange exchange, AsyncCallback callback,
           ProviderCalls calls, ScheduledExecutorService timers, ProviderStats stats) {
        this.stats = stats;
        this.plan = plan;
        this.strategy = strategy;
        this.exchange = exchange;
        this.callback = callback;
        this.calls = calls;
        this.timers = timers;
    }

    void start() {
        synchronized (this) {
            deadlineTimer = timers.schedule(() -> finish(true), Math.max(0, plan.deadlineNanos() - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
            int n = Math.min(strategy.initialFanOut(plan), plan.providers().size());
            for (int i = 0; i < n; i++) {
                fireNext();
            }
            scheduleHedge();
        }
    }

    /** Must hold the lock. */
    private void fireNext() {
        if (done || fired >= plan.providers().size()) {
            return;
        }
        ProviderConfig p = plan.providers().get(fired++);
        queried.add(p.model());
        Exchange branch = new DefaultExchange(exchange.getContext());
        branch.setProperty(TaskResolver.PLAN, plan);
        branch.setProperty(FIRED_NANOS, System.nanoTime());
        branch.setProperty(TokenMeter.TENANT, TokenMeter.tenantOf(exchange)); // the provider route counts its tokens
        branch.setProperty(ProviderCall.PROPERTY, new ProviderCall(plan.requestId(), p, plan.prompt(), plan.maxTokens(),
                plan.temperature(), plan.format(), plan.deadlineNanos(), plan.messages()));
        backendWait.started();
        calls.send(p.name(), branch, () -> onReply(branch));
    }

    private void scheduleHedge() {
        if (plan.hedgeAfterMs() > 0 && strategy.initialFanOut(plan) < plan.providers().size()) {
            hedgeTimer = timers.schedule(this::onHedge, plan.hedgeAfterMs(), TimeUnit.MILLISECONDS);
        }
    }

    private void onHedge() {
        synchronized (this) {
            if (done || fired >= plan.providers().size()) {
                return;
            }
            hedged = true;
            LOG.info("event=hedge_fired request_id={} task={} after_ms={} provider={}", plan.requestId(), plan.task(),
                    plan.hedgeAfterMs(), plan.providers().get(fired).name());
            fireNext();
            scheduleHedge();
        }
    }

    private void onReply(Exchange branch) {
        backendWait.ended();
        recordStats(branch);
        boolean finishNow;
        synchronized (this) {
            if (done) {
                return;
            }
            returned++;
            aggregate = strategy.aggregate(aggregate, branch);
            Attempt last = lastAttempt();
            if (!last.succeeded()) {
                LOG.warn("event=provider_failed request_id={} task={} provider={} reason=\"{}\"", plan.requestId(),
                        plan.task(), last.provider(), last.failure());
            }
            Tally tally = aggregate.getProperty(EnsembleStrategy.TALLY, Tally.class);
            if (strategy.isDecided(tally)) {
                finishNow = true;
            } else if (returned == fired && fired == plan.providers().size()) {
                finishNow = true; // everyone answered and still undecided
            } else {
                if (!last.succeeded() || returned == fired) {
                    fireNext(); // a failure (or an idle sequential fan-out) moves on at once
                }
                finishNow = false;
            }
        }
        if (finishNow) {
            finish(false);
        }
    }

    /** Every reply counts for WEIGHTED's live factor, also those that arrive after the outcome was decided. */
    private void recordStats(Exchange branch) {
        ProviderCall call = branch.getProperty(ProviderCall.PROPERTY, ProviderCall.class);
        if (branch.getException() instanceof dev.llmpool.providers.DeadlineExceededException
                || branch.getException() instanceof io.github.resilience4j.bulkhead.BulkheadFullException) {
            return; // neither a spent budget nor a full bulkhead says anything about the provider's quality
        }
        long ms = (System.nanoTime() - branch.getProperty(FIRED_NANOS, Long.class)) / 1_000_000;
        stats.record(call.provider().name(), branch.getException() == null, ms);
    }

    private Attempt lastAttempt() {
        List<Attempt> all = aggregate.getProperty(EnsembleStrategy.TALLY, Tally.class).attempts();
        return all.get(all.size() - 1);
    }

    private void finish(boolean deadlineReached) {
        Tally tally;
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
            deadlineTimer.cancel(false);
            if (hedgeTimer != null) {
                hedgeTimer.cancel(false);
            }
            tally = aggregate == null ? new Tally(plan) : aggregate.getProperty(EnsembleStrategy.TALLY, Tally.class);
        }
        // Backend timeouts are derived from the deadline and may beat the deadline timer by a hair: when the
        // deadline has passed as we give up, the answer is a 504 whatever woke us.
        boolean late = deadlineReached || System.nanoTime() >= plan.deadlineNanos();
        try {
            Outcome outcome = strategy.decide(tally, late);
            exchange.setProperty(OUTCOME, outcome.withQueried(List.copyOf(queried), hedged));
        } catch (RuntimeException e) {
            exchange.setException(e);
        }
        backendWait.recordOn(exchange);
        callback.done(false);
    }
}
