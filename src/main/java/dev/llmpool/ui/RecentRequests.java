package dev.llmpool.ui;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import dev.llmpool.metrics.FinishedRequest;

/**
 * What the operations page shows about traffic: the last {@link #KEEP} requests, and per task since start its
 * requests, errors and wins per provider. Fed by {@link dev.llmpool.metrics.RequestMetrics} with every finished
 * request; the prompt is kept only with {@code pool.ui.show-prompts=true}.
 */
public class RecentRequests implements Consumer<FinishedRequest> {

    static final int KEEP = 50;

    /** One task's totals since start. */
    public static final class TaskTraffic {
        long requests;
        long errors;
        long fromCache;
        String lastStrategy;
        final Map<String, Long> wins = new TreeMap<>();
    }

    private final boolean showPrompts;
    private final Deque<FinishedRequest> recent = new ArrayDeque<>();
    private final Map<String, TaskTraffic> tasks = new LinkedHashMap<>();

    public RecentRequests(boolean showPrompts) {
        this.showPrompts = showPrompts;
    }

    public boolean showPrompts() {
        return showPrompts;
    }

    @Override
    public synchronized void accept(FinishedRequest r) {
        FinishedRequest kept = showPrompts || r.prompt() == null ? r : new FinishedRequest(r.endedAtMillis(),
                r.requestId(), r.api(), r.tenant(), r.task(), r.strategy(), r.winner(), r.status(), r.errorCode(),
                r.durationNanos(), r.overheadNanos(), r.promptTokens(), r.completionTokens(), r.fromCache(),
                r.traceId(), null);
        recent.addFirst(kept);
        if (recent.size() > KEEP) {
            recent.removeLast();
        }
        TaskTraffic t = tasks.computeIfAbsent(r.task(), k -> new TaskTraffic());
        t.requests++;
        t.lastStrategy = r.strategy();
        if (r.status() >= 400) {
            t.errors++;
        }
        if (r.fromCache()) {
            t.fromCache++;
        }
        if (r.winner() != null) {
            t.wins.merge(r.winner(), 1L, Long::sum);
        }
    }

    /** Newest first. */
    public synchronized List<FinishedRequest> recent() {
        return new ArrayList<>(recent);
    }

    /** A copy of one task's totals, or null when it has had no request. */
    public synchronized TaskTraffic traffic(String task) {
        TaskTraffic t = tasks.get(task);
        if (t == null) {
            return null;
        }
        TaskTraffic copy = new TaskTraffic();
        copy.requests = t.requests;
        copy.errors = t.errors;
        copy.fromCache = t.fromCache;
        copy.lastStrategy = t.lastStrategy;
        copy.wins.putAll(t.wins);
        return copy;
    }
}
