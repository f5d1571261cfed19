package dev.llmpool.ui;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.HttpReply;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.TaskConfig;
import dev.llmpool.health.HealthRegistry;
import dev.llmpool.health.ProviderHealth;
import dev.llmpool.metrics.FinishedRequest;
import dev.llmpool.metrics.ProviderGauges;
import dev.llmpool.queues.QueueTraffic;

/**
 * {@code GET /ui/api/status}: the operations page's one source, polled every second. Providers (health, circuit,
 * calls in flight, latency of the last check and of real calls), tasks (strategy, traffic, error rate, wins per
 * provider), the cache's hit rate, the queue doors (answered, dead-lettered, consumer lag) and the recent requests.
 * Read from what the pool already keeps: the health registry, the meters ({@link QueueTraffic} for the queue doors)
 * and {@link RecentRequests}; never prompt text unless pool.ui.show-prompts=true.
 */
public class OpsStatus implements Processor {

    private final ConfigStore config;
    private final HealthRegistry health;
    private final ProviderGauges gauges;
    private final RecentRequests requests;
    private final MeterRegistry meters;
    private final QueueTraffic queues;
    private final ObjectMapper mapper;

    public OpsStatus(ConfigStore config, HealthRegistry health, ProviderGauges gauges, RecentRequests requests,
                     MeterRegistry meters, QueueTraffic queues, ObjectMapper mapper) {
        this.config = config;
        this.health = health;
        this.gauges = gauges;
        this.requests = requests;
        this.meters = meters;
        this.queues = queues;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws JsonProcessingException {
        PoolConfig cfg = config.current();
        ObjectNode body = mapper.createObjectNode();
        body.put("time", System.currentTimeMillis());
        Gauge inflight = meters.find("llmpool.inflight.requests").gauge();
        body.put("inflight_requests", inflight == null ? 0 : (long) inflight.value());
        body.put("show_prompts", requests.showPrompts());
        providers(cfg, body.putArray("providers"));
        tasks(cfg, body.putArray("tasks"));
        cache(body.putObject("cache"));
        queues(body.putArray("queues"));
        recent(body.putArray("recent"));
        HttpReply.set(exchange, 200, "application/json", mapper.writeValueAsString(body),
                Map.of("Cache-Control", "no-store"));
    }

    private void providers(PoolConfig cfg, ArrayNode list) {
        for (ProviderConfig p : cfg.providers().values()) {
            ProviderHealth h = health.get(p.name());
            ObjectNode n = list.addObject();
            n.put("name", p.name()).put("model", p.model()).put("url", masked(p.url()))
                    .put("status", h.status().name()).put("circuit", health.circuit(p.name()))
                    .put("usable", health.downReason(p.name()) == null)
                    .put("inflight", gauges.inFlight(p.name())).put("max_concurrency", p.maxConcurrency())
                    .put("queued", gauges.queueLength(p.name()));
            dev.llmpool.health.ReplicaStatus.write(n, p, health, gauges.guards());
            if (h.latencyMs() >= 0) {
                n.put("check_latency_ms", h.latencyMs());
            }
            long ok = 0;
            long failed = 0;
            double okMillis = 0;
            for (Timer t : meters.find("llmpool.provider.calls").tag("provider", p.name()).timers()) {
                if ("success".equals(t.getId().getTag("outcome"))) {
                    ok += t.count();
                    okMillis += t.totalTime(TimeUnit.MILLISECONDS);
                } else {
                    failed += t.count();
                }
            }
            n.put("calls", ok + failed).put("failed_calls", failed);
            if (ok > 0) {
                n.put("mean_latency_ms", Math.round(okMillis / ok));
            }
            String reason = health.downReason(p.name());
            String error = reason != null && health.lastCallError(p.name()) != null
                    ? health.lastCallError(p.name()) : h.lastError();
            n.put("last_error", error);
        }
    }

    private void tasks(PoolConfig cfg, ArrayNode list) {
        for (TaskConfig t : cfg.tasks().values()) {
            ObjectNode n = list.addObject();
            n.put("name", t.name()).put("strategy", t.strategy().name());
            n.putArray("providers").addAll(t.providers().stream().map(mapper.getNodeFactory()::textNode).toList());
            RecentRequests.TaskTraffic traffic = requests.traffic(t.name());
            long total = traffic == null ? 0 : traffic.requests;
            n.put("requests", total).put("errors", traffic == null ? 0 : traffic.errors)
                    .put("from_cache", traffic == null ? 0 : traffic.fromCache);
            ObjectNode wins = n.putObject("wins");
            if (traffic != null) {
                traffic.wins.forEach(wins::put);
            }
        }
    }

    private void cache(ObjectNode cache) {
        double hits = count("hit") + count("coalesced");
        double misses = count("miss");
        cache.put("hits", (long) hits).put("misses", (long) misses).put("bypassed", (long) count("bypass"));
        if (hits + misses > 0) {
            cache.put("hit_rate", hits / (hits + misses));
        }
    }

    private double count(String result) {
        Counter c = meters.find("llmpool.cache.requests").tag("result", result).counter();
        return c == null ? 0 : c.count();
    }

    private void queues(ArrayNode list) {
        for (QueueTraffic.Door d : queues.doors()) {
            ObjectNode n = list.addObject();
            n.put("api", d.api()).put("source", d.source()).put("tenant", d.tenant())
                    .put("answered", d.answered()).put("dead_lettered", d.deadLettered());
            if (d.lag() != null) {
                n.put("consumer_lag", d.lag());
            }
        }
    }

    private void recent(ArrayNode list) {
        for (FinishedRequest r : requests.recent()) {
            ObjectNode n = list.addObject();
            n.put("time", r.endedAtMillis()).put("request_id", r.requestId()).put("api", r.api())
                    .put("tenant", r.tenant()).put("task", r.task()).put("strategy", r.strategy())
                    .put("winner", r.winner()).put("status", r.status()).put("error", r.errorCode())
                    .put("duration_ms", r.durationNanos() / 1_000_000.0)
                    .put("overhead_ms", r.overheadNanos() / 1_000_000.0)
                    .put("tokens", r.promptTokens() + r.completionTokens()).put("from_cache", r.fromCache());
            if (r.prompt() != null) {
                n.put("prompt", r.prompt());
            }
        }
    }

    /** A URL's user:password part never leaves the pool. */
    static String masked(String url) {
        return url == null ? null : url.replaceAll("(?<=//)[^/@]*@", "***@");
    }
}
