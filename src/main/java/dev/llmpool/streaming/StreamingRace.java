package dev.llmpool.streaming;

import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.api.ApiException;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.ensemble.Attempt;
import dev.llmpool.ensemble.EnsembleProcessor;
import dev.llmpool.ensemble.FailureReasons;
import dev.llmpool.ensemble.FirstCompletedStrategy;
import dev.llmpool.ensemble.Outcome;
import dev.llmpool.ensemble.ProviderStats;
import dev.llmpool.ensemble.Tally;
import dev.llmpool.metrics.BackendWait;
import dev.llmpool.metrics.TokenMeter;
import dev.llmpool.providers.ProviderCall;
import dev.llmpool.providers.ProviderReply;
import dev.llmpool.resilience.ProviderGuards;
import dev.llmpool.routing.Plan;

/**
 * One streaming request under FASTEST, with the same rules as the whole-answer fan-out: providers in the plan's
 * order, the next one fired at once when one fails or as a hedge after {@code hedge-after-ms} with no token yet.
 * The first stream to produce a token wins: the others are cancelled (their connections closed) and its tokens go
 * to the sink as they arrive. The answer is decided by {@link FirstCompletedStrategy} from the attempts, so the
 * 503/504 bodies are those of the whole-answer path. A winner that fails mid-stream fails the request: its
 * tokens have been sent, so no other provider can take over without the caller seeing two answers.
 */
final class StreamingRace implements BackendStream.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(StreamingRace.class);
    private static final FirstCompletedStrategy FASTEST = new FirstCompletedStrategy();

    private final Plan plan;
    private final ChunkSink sink;
    private final Exchange exchange;
    private final AsyncCallback callback;
    private final HttpClient http;
    private final ObjectMapper mapper;
    private final ProviderGuards guard;
    private final ScheduledExecutorService timers;
    private final ProviderStats stats;
    private final TokenMeter tokens;

    // guarded by this
    private final Tally tally;
    private final List<String> queried = new ArrayList<>();
    private final BackendWait backendWait = new BackendWait(); // for the overhead histogram
    private final List<BackendStream> running = new ArrayList<>();
    private int fired;
    private boolean hedged;
    private boolean done;
    private BackendStream winner;
    private ScheduledFuture<?> deadlineTimer;
    private ScheduledFuture<?> hedgeTimer;

    StreamingRace(Plan plan, ChunkSink sink, Exchange exchange, AsyncCallback callback, HttpClient http,
                  ObjectMapper mapper, ProviderGuards guard, ScheduledExecutorService timers, ProviderStats stats,
                  TokenMeter tokens) {
        this.tokens = tokens;
        this.plan = plan;
        this.sink = sink;
        this.exchange = exchange;
        this.callback = callback;
        this.http = http;
        this.mapper = mapper;
        this.guard = guard;
        this.timers = timers;
        this.stats = stats;
        this.tally = new Tally(plan);
    }

    void start() {
        boolean noneLeft;
        synchronized (this) {
            deadlineTimer = timers.schedule(() -> finish(true, null),
                    Math.max(0, plan.deadlineNanos() - System.nanoTime()), TimeUnit.NANOSECONDS);
            noneLeft = !fireNext();
            scheduleHedge();
        }
        sink.onCancel(this::callerGone);
        if (noneLeft) {
            finish(false, null);
        }
    }

    /** Starts the next provider that grants a permit; false when none is left. Must hold the lock. */
    private boolean fireNext() {
        while (!done && fired < plan.providers().size()) {
            ProviderConfig p = plan.providers().get(fired++);
            queried.add(p.model());
            ProviderGuards.Permit permit = guard.tryAcquire(p.name());
            if (permit.refusal() != null) {
                tally.add(new Attempt(p.name(), p.model(), null, FailureReasons.describe(permit.refusal())));
                continue;
            }
            ProviderCall call = new ProviderCall(plan.requestId(), p, plan.prompt(), plan.maxTokens(), plan.temperature(),
                    plan.format(), plan.deadlineNanos(), plan.messages());
            BackendStream stream = new BackendStream(call, mapper, this, permit);
            running.add(stream);
            backendWait.started();
            stream.start(http);
            return true;
        }
        return false;
    }

    private void scheduleHedge() {
        if (plan.hedgeAfterMs() > 0 && fired < plan.providers().size()) {
            hedgeTimer = timers.schedule(this::onHedge, plan.hedgeAfterMs(), TimeUnit.MILLISECONDS);
        }
    }

    private void onHedge() {
        synchronized (this) {
            if (done || winner != null || fired >= plan.providers().size()) {
                return;
            }
            hedged = true;
            LOG.info("event=hedge_fired request_id={} task={} after_ms={} provider={} streaming=true", plan.requestId(),
                    plan.task(), plan.hedgeAfterMs(), plan.providers().get(fired).name());
            fireNext();
            scheduleHedge();
        }
    }

    @Override
    public void onToken(BackendStream stream, String text) {
        synchronized (this) {
            if (done) {
                return;
            }
            if (winner == null) {
                winner = stream;
                cancelAllBut(stream);
                if (hedgeTimer != null) {
                    hedgeTimer.cancel(false);
                }
            }
            if (winner == stream) {
                sink.chunk(text); // under the lock: chunks stay in order, and none follows the end of the race
            }
        }
    }

    @Override
    public void onDone(BackendStream stream, ProviderReply reply) {
        backendWait.ended();
        tokens.record(exchange, reply);
        stats.record(stream.provider(), true, stream.elapsedMillis());
        synchronized (this) {
            running.remove(stream);
            if (done || (winner != null && winner != stream)) {
                return;
            }
            if (winner == null) { // an empty answer: no token, yet a complete answer
                winner = stream;
                cancelAllBut(stream);
            }
            tally.add(new Attempt(stream.provider(), stream.model(), reply, null));
        }
        finish(false, null);
    }

    @Override
    public void onFailure(BackendStream stream, String reason) {
        backendWait.ended();
        stats.record(stream.provider(), false, stream.elapsedMillis());
        ApiException midStream = null;
        boolean finishNow;
        synchronized (this) {
            running.remove(stream);
            if (done) {
                return;
            }
            LOG.warn("event=provider_failed request_id={} task={} provider={} streaming=true reason=\"{}\"",
                    plan.requestId(), plan.task(), stream.provider(), reason);
            tally.add(new Attempt(stream.provider(), stream.model(), null, reason));
            if (winner == stream) {
                midStream = new ApiException(503, "provider_failed_mid_stream", "provider '" + stream.provider()
                        + "' failed after its answer had begun streaming: " + reason, null,
                        Map.of("providers", tally.failures()));
                finishNow = true;
            } else {
                finishNow = !fireNext() && running.isEmpty();
            }
        }
        if (finishNow) {
            finish(false, midStream);
        }
    }

    /** The caller cancelled or went away: stop every backend call now. */
    private void callerGone() {
        synchronized (this) {
            if (done) {
                return;
            }
            LOG.info("event=stream_cancelled request_id={} task={} running={}", plan.requestId(), plan.task(),
                    running.size());
        }
        finish(false, new ApiException(499, "cancelled", "the caller cancelled the call", null));
    }

    private void finish(boolean deadlineReached, ApiException failure) {
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
            deadlineTimer.cancel(false);
            if (hedgeTimer != null) {
                hedgeTimer.cancel(false);
            }
            cancelAllBut(null);
        }
        try {
            if (failure != null) {
                throw failure;
            }
            Outcome outcome = FASTEST.decide(tally, deadlineReached);
            exchange.setProperty(EnsembleProcessor.OUTCOME, outcome.withQueried(List.copyOf(queried), hedged));
        } catch (RuntimeException e) {
            exchange.setException(e);
        }
        backendWait.recordOn(exchange);
        callback.done(false);
    }

    /** Must hold the lock. */
    private void cancelAllBut(BackendStream keep) {
        for (BackendStream s : List.copyOf(running)) {
            if (s != keep) {
                s.cancel();
                running.remove(s);
            }
        }
    }
}
