package dev.llmpool.ensemble;

import dev.llmpool.providers.CallProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.CallerLink;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.providers.CallHandle;
import dev.llmpool.providers.ProviderCall;
import dev.llmpool.providers.ProviderReply;
import dev.llmpool.routing.Plan;
import dev.llmpool.routing.ProviderCalls;
import dev.llmpool.streaming.ChunkSink;

/**
 * One request's race over its providers, the piece Multicast cannot be in Camel 4.17, for whole answers and streams
 * alike. It owns, in one place:
 * <ul>
 * <li>provider order and failover: calls go out in the plan's order, {@code initialFanOut} at once, the next one as
 * soon as one fails (a refusal by the provider's breaker or full queue, or a wait for a slot that ran out, is a failure
 * like any other); a provider with a free slot goes before a saturated one, and only a request's sole call waits as
 * a first call in a provider's queue (see ProviderGuards);</li>
 * <li>hedging: the next provider also goes out when {@code hedge-after-ms} passes with no answer (no token, when
 * streaming);</li>
 * <li>the outcome: each reply goes to the strategy (an AggregationStrategy, a pure decision over the {@link Tally});
 * the race completes the caller's exchange the moment the strategy says it is decided, the deadline passes, no
 * provider is left, or the caller has gone;</li>
 * <li>the deadline rule: the answer is a 504 exactly when the deadline has passed as the race ends, whatever woke it
 * (its own timer, or a call that ran out of the same budget);</li>
 * <li>ending the losers: every call still running then is ended ({@link CallHandle}), so its permit is free before
 * the caller has the answer and its backend connection closes (the model stops generating); the breaker counts it
 * as a timeout when the deadline passed, and neither way when the outcome was decided without it or the caller
 * left;</li>
 * <li>stats (each reply's latency and success, for WEIGHTED) and the time spent waiting on backends
 * ({@code llmpool.backendWaitNanos});</li>
 * <li>for a task that groups answers by meaning ({@link Similarity#SEMANTIC}), each answer's embedding: computed on
 * the embedding pool ({@link AnswerEmbeddings}) before the answer goes to the strategy, which goes on from there.</li>
 * </ul>
 * Each call goes through its provider's route ({@link ProviderCalls}), which holds the provider's breaker and
 * bulkhead permit. Whole answers and streams differ only in how a call is launched: a streamed call hands the race
 * its tokens as they come, the first call to produce one wins, and its tokens go on to the caller's
 * {@link ChunkSink}. A stream that fails after its first token fails the request: its tokens have gone out, so no
 * other provider can take over without the caller seeing two answers.
 */
final class Race {

    private static final Logger LOG = LoggerFactory.getLogger(Race.class);

    private final Plan plan;
    private final EnsembleStrategy strategy;
    private final Exchange exchange;
    private final AsyncCallback callback;
    private final ProviderCalls calls;
    private final ScheduledExecutorService timers;
    private final ProviderStats stats;
    /** The caller's stream, or null for a whole answer. */
    private final ChunkSink sink;
    /** Embeds answers for semantic grouping; null when the pool has none (then answers group by text). */
    private final AnswerEmbeddings embeddings;

    // guarded by this
    private final List<String> queried = new ArrayList<>();
    /** Providers not called yet, in the plan's order; one with a free slot goes before a saturated one. */
    private final List<ProviderConfig> unsent;
    /** Calls sent and not answered yet: ended when the outcome no longer needs them. */
    private final List<Exchange> running = new ArrayList<>();
    private final BackendWait backendWait = new BackendWait();
    private Exchange aggregate;
    private int fired;
    private int returned;
    private boolean hedged;
    private boolean done;
    private volatile boolean callerLeft;
    /** The stream whose tokens go to the caller (streams only). */
    private Exchange winner;
    private ScheduledFuture<?> deadlineTimer;
    private ScheduledFuture<?> hedgeTimer;

    Race(Plan plan, EnsembleStrategy strategy, ChunkSink sink, Exchange exchange, AsyncCallback callback,
         ProviderCalls calls, ScheduledExecutorService timers, ProviderStats stats, AnswerEmbeddings embeddings) {
        this.embeddings = embeddings;
        this.plan = plan;
        this.strategy = strategy;
        this.sink = sink;
        this.exchange = exchange;
        this.callback = callback;
        this.calls = calls;
        this.timers = timers;
        this.stats = stats;
        this.unsent = new ArrayList<>(plan.providers());
    }

    void start() {
        CallerLink caller = RequestState.of(exchange).callerLink();
        if (caller != null) {
            caller.onGone(this::callerGone);
        }
        if (sink != null) {
            sink.onCancel(this::callerGone);
        }
        synchronized (this) {
            deadlineTimer = timers.schedule(() -> finish(true, null), Math.max(0, plan.deadlineNanos() - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
            int n = Math.min(strategy.initialFanOut(plan), plan.providers().size());
            for (int i = 0; i < n; i++) {
                fireNext();
            }
            scheduleHedge();
        }
    }

    /** Must hold the lock. Returns the provider called, or null when none is left. */
    private String fireNext() {
        if (done || fired >= plan.providers().size()) {
            return null;
        }
        ProviderConfig p = unsent.stream().filter(u -> calls.hasFreeSlot(u.name())).findFirst().orElse(unsent.get(0));
        unsent.remove(p);
        fired++;
        queried.add(p.model());
        Exchange branch = new DefaultExchange(exchange.getContext());
        // the request's plan, tenant (its tokens are counted) and trace (the call's span's parent)
        RequestState.of(exchange).shareWith(branch);
        branch.setProperty(CallProperties.FIRED_NANOS, System.nanoTime());
        branch.setProperty(CallProperties.CALL, new ProviderCall(plan.requestId(), p, plan.prompt(), plan.maxTokens(),
                plan.temperature(), plan.format(), plan.deadlineNanos(), plan.messages(), plan.sampling()));
        branch.setProperty(CallProperties.CALL_HANDLE, new CallHandle());
        // Its request's only call now goes first in the provider's queue; hedges and fan-out calls go after those
        branch.setProperty(CallProperties.EXTRA_CALL, !running.isEmpty());
        running.add(branch);
        backendWait.callStarted();
        if (sink == null) {
            calls.infer(p.name(), branch, () -> onReply(branch));
        } else {
            calls.inferStream(p.name(), branch, text -> onToken(branch, text), () -> onReply(branch));
        }
        return p.name();
    }

    private void scheduleHedge() {
        if (plan.hedgeAfterMs() > 0 && strategy.initialFanOut(plan) < plan.providers().size()) {
            hedgeTimer = timers.schedule(this::onHedge, plan.hedgeAfterMs(), TimeUnit.MILLISECONDS);
        }
    }

    private void onHedge() {
        synchronized (this) {
            if (done || winner != null || fired >= plan.providers().size()) {
                return;
            }
            hedged = true;
            String provider = fireNext();
            LOG.info("event=hedge_fired request_id={} task={} after_ms={} provider={} streaming={}", plan.requestId(),
                    plan.task(), plan.hedgeAfterMs(), provider, sink != null);
            scheduleHedge();
        }
    }

    /** A streamed call's next piece of content: the first call to produce one wins, the others are ended. */
    private void onToken(Exchange branch, String text) {
        List<Exchange> losers = List.of();
        synchronized (this) {
            if (done) {
                return;
            }
            if (winner == null) {
                losers = chooseWinner(branch);
            }
            if (winner == branch) {
                sink.chunk(text); // under the lock: chunks stay in order, and none follows the end of the race
            }
        }
        end(losers, false);
    }

    /** Must hold the lock. */
    private List<Exchange> chooseWinner(Exchange branch) {
        winner = branch;
        if (hedgeTimer != null) {
            hedgeTimer.cancel(false);
        }
        List<Exchange> losers = new ArrayList<>(running);
        losers.remove(branch);
        losers.forEach(this::stopWaitingFor);
        return losers;
    }

    private void onReply(Exchange branch) {
        recordStats(branch);
        if (needsEmbedding(branch)) {
            synchronized (this) {
                stopWaitingFor(branch); // its backend has answered: embedding is the pool's time, not the backend's
                if (done) {
                    return; // a late reply: nobody reads it, so nothing to compare it with
                }
            }
            embeddings.embed(((ProviderReply) branch.getIn().getBody()).content(), vector -> {
                branch.setProperty(CallProperties.ANSWER_EMBEDDING, vector);
                take(branch);
            });
        } else {
            take(branch);
        }
    }

    /** A whole answer that a strategy grouping answers by meaning will compare with the others. */
    private boolean needsEmbedding(Exchange branch) {
        return embeddings != null && sink == null && plan.similarity() == Similarity.SEMANTIC
                && strategy instanceof VotingStrategy
                && branch.getException() == null && branch.getIn().getBody() instanceof ProviderReply;
    }

    /** The reply goes to the strategy; the race ends if that decides it, else the next call may go out. */
    private void take(Exchange branch) {
        boolean finishNow;
        ApiException failure = null;
        List<Exchange> losers = List.of();
        synchronized (this) {
            stopWaitingFor(branch);
            if (done || (winner != null && winner != branch)) {
                return; // a late reply, or a stream that lost: nobody reads it
            }
            returned++;
            boolean succeeded = branch.getException() == null;
            if (sink != null && winner == null && succeeded) {
                losers = chooseWinner(branch); // an empty answer: no token, yet a complete one
            }
            aggregate = strategy.aggregate(aggregate, branch);
            Attempt last = lastAttempt();
            if (!last.succeeded()) {
                LOG.warn("event=provider_failed request_id={} task={} provider={} streaming={} reason=\"{}\"",
                        plan.requestId(), plan.task(), last.provider(), sink != null, last.failure());
            }
            Tally tally = aggregate.getProperty(EnsembleStrategy.TALLY, Tally.class);
            if (winner == branch && last.invalidOutput()) {
                // its tokens went out as they came: no other provider can take over without a second answer
                failure = EnsembleStrategy.invalidOutput(Map.of("providers", tally.failures()));
                finishNow = true;
            } else if (winner == branch && !last.succeeded()) {
                failure = new ApiException(503, "provider_failed_mid_stream", "provider '" + last.provider()
                        + "' failed after its answer had begun streaming: " + last.failure(), null,
                        Map.of("providers", tally.failures()));
                finishNow = true;
            } else if (strategy.isDecided(tally)) {
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
        end(losers, false);
        if (finishNow) {
            finish(false, failure);
        }
    }

    /** Every reply counts for WEIGHTED's live factor, also those that arrive after the outcome was decided. */
    private void recordStats(Exchange branch) {
        ProviderCall call = branch.getProperty(CallProperties.CALL, ProviderCall.class);
        if (branch.getException() instanceof dev.llmpool.providers.DeadlineExceededException
                || branch.getException() instanceof io.github.resilience4j.bulkhead.BulkheadFullException
                || (CallHandle.of(branch).cancelled() && !CallHandle.of(branch).timedOut())) {
            return; // a spent budget, a full bulkhead or a cancelled call says nothing about the provider's quality
        }
        long ms = (System.nanoTime() - branch.getProperty(CallProperties.FIRED_NANOS, Long.class)) / 1_000_000;
        stats.record(call.provider().name(), branch.getException() == null, ms);
    }

    /** Must hold the lock. */
    private void stopWaitingFor(Exchange branch) {
        if (running.remove(branch)) {
            backendWait.callEnded();
        }
    }

    private Attempt lastAttempt() {
        List<Attempt> all = aggregate.getProperty(EnsembleStrategy.TALLY, Tally.class).attempts();
        return all.get(all.size() - 1);
    }

    /** The caller has gone (closed its connection, cancelled its stream): nobody will read the answer. */
    private void callerGone() {
        synchronized (this) {
            if (done) {
                return;
            }
            LOG.info("event=caller_gone request_id={} task={} running={}", plan.requestId(), plan.task(), running.size());
            callerLeft = true;
        }
        finish(false, new ApiException(499, "cancelled", "the caller went away before the answer", null));
    }

    private void finish(boolean deadlineReached, ApiException failure) {
        Tally tally;
        List<Exchange> losers;
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
            losers = List.copyOf(running);
            losers.forEach(this::stopWaitingFor);
        }
        // A call's budget ends with the request's deadline, so a call that timed out may wake us a hair before our
        // own timer: when the deadline has passed as we give up, the answer is a 504 whatever woke us.
        boolean late = deadlineReached || System.nanoTime() >= plan.deadlineNanos();
        // Calls still running can only lose now: their permits are back before the caller has the answer.
        end(losers, late && failure == null);
        RequestState state = RequestState.of(exchange);
        state.setBackendWaitNanos(backendWait.nanos());
        state.setUsage(UsageTotal.of(tally));
        CallerLink caller = state.callerLink();
        if (caller != null) {
            caller.clear();
        }
        try {
            if (failure != null) {
                throw failure;
            }
            Outcome outcome = strategy.decide(tally, late);
            state.setOutcome(outcome.withQueried(List.copyOf(queried), hedged));
        } catch (RuntimeException e) {
            exchange.setException(e);
        }
        callback.done(false);
    }

    /**
     * Ends calls whose answers are no longer wanted (see CallHandle). One that had not answered when the deadline
     * passed counts as its provider's timeout, as it would have had it run on into its budget (so a provider that
     * hangs still opens its breaker). One cut because the outcome was decided without it, or because the caller
     * left, counts neither way: a slower provider is not a failing one.
     */
    private void end(List<Exchange> calls, boolean deadlinePassed) {
        for (Exchange branch : calls) {
            CallHandle handle = CallHandle.of(branch);
            if (deadlinePassed && !callerLeft) {
                handle.timeOut("no answer within the request's deadline");
            } else {
                handle.cancel();
            }
        }
    }
}
