package dev.llmpool.auth;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConfigurationBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.SynchronizationAdapter;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.InferRequest;
import dev.llmpool.api.RequestState;
import dev.llmpool.cache.InFlight;
import dev.llmpool.ensemble.UsageTotal;

/**
 * What a tenant may do, checked once the request is parsed (the infer route's {@code tenant-limits} step): the task
 * (403 {@code forbidden}), requests in flight ({@code max-concurrency}, per instance), the token budget
 * ({@code tokens-per-minute}, {@code tokens-per-day}: 429 {@code budget_exhausted} once spent) and requests per minute
 * (429 {@code rate_limited}). A 429 carries {@code Retry-After}, {@code RateLimit-Limit}, {@code RateLimit-Remaining}
 * and {@code RateLimit-Reset}, and is counted in {@code llmpool_rate_limited_total{tenant,reason}}.
 *
 * <p>Limits are Bucket4j token buckets refilled in full once per window (a minute, a day): exact under concurrency,
 * in Redis shared by every instance ({@link RedisBuckets}). Tokens are charged once, when the request ends (answered or
 * failed), with every call's usage the backends reported ({@link UsageTotal}); a request is let in while the budget is
 * above zero, so the last one may overdraw it by its own size. With auth off nothing is limited.
 */
public final class TenantLimits extends AsyncProcessorSupport {

    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final Duration DAY = Duration.ofDays(1);

    private final Buckets buckets;
    private final MeterRegistry meters;
    private final ConcurrentMap<String, Counter> rejected = new ConcurrentHashMap<>();
    /** Requests in flight by tenant and limit (a changed limit starts a new count). */
    private final ConcurrentMap<String, Semaphore> inFlight = new ConcurrentHashMap<>();

    TenantLimits(Buckets buckets, MeterRegistry meters) {
        this.buckets = buckets;
        this.meters = meters;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        RequestState state = RequestState.of(exchange);
        Principal principal = state.principal();
        if (principal == null) {  // auth off
            callback.done(true);
            return true;
        }
        Tenant tenant = principal.tenant();
        chargeAtEnd(exchange, tenant);
        InferRequest req = state.request();
        if (!principal.allows(req.task())) {
            exchange.setException(Authenticator.forbidden("tenant '" + tenant.name() + "' may not use task '"
                    + req.task() + "'"));
            callback.done(true);
            return true;
        }
        if (tenant.maxConcurrency() > 0 && !enter(exchange, tenant)) {
            exchange.setException(limited(tenant, "concurrency", "rate_limited", "tenant '" + tenant.name()
                    + "' has " + tenant.maxConcurrency() + " requests in flight already", tenant.maxConcurrency(), 0, 1));
            callback.done(true);
            return true;
        }
        CompletableFuture<ApiException> verdict = budget(tenant)
                .thenCompose(over -> over != null ? CompletableFuture.completedFuture(over) : rate(tenant));
        return InFlight.resume(verdict, callback, (over, error) -> {
            if (error != null) {
                exchange.setException(error);
            } else if (over != null) {
                exchange.setException(over);
            }
        });
    }

    /** Holds one of the tenant's in-flight slots until the exchange completes; false when none is free. */
    private boolean enter(Exchange exchange, Tenant tenant) {
        Semaphore slots = inFlight.computeIfAbsent(tenant.name() + ":" + tenant.maxConcurrency(),
                k -> new Semaphore(tenant.maxConcurrency()));
        if (!slots.tryAcquire()) {
            return false;
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                slots.release();
            }
        });
        return true;
    }

    private CompletableFuture<ApiException> budget(Tenant tenant) {
        BucketConfiguration limits = tokenLimits(tenant);
        if (limits == null) {
            return CompletableFuture.completedFuture(null);
        }
        return buckets.estimate(tokenBucket(tenant), limits).thenApply(probe -> probe.canBeConsumed() ? null
                : limited(tenant, "tokens", "budget_exhausted", "tenant '" + tenant.name() + "' has spent its token"
                        + " budget", tenant.tokensPerMinute() > 0 ? tenant.tokensPerMinute() : tenant.tokensPerDay(),
                        0, seconds(probe.getNanosToWaitForRefill())));
    }

    private CompletableFuture<ApiException> rate(Tenant tenant) {
        long rpm = tenant.requestsPerMinute();
        if (rpm == 0) {
            return CompletableFuture.completedFuture(null);
        }
        BucketConfiguration limits = BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(rpm).refillIntervally(rpm, MINUTE).build()).build();
        return buckets.tryConsume("req:" + tenant.name() + ":" + rpm, limits, 1).thenApply(probe -> probe.isConsumed()
                ? null : limited(tenant, "requests", "rate_limited", "tenant '" + tenant.name() + "' may send " + rpm
                        + " requests a minute", rpm, probe.getRemainingTokens(), seconds(probe.getNanosToWaitForRefill())));
    }

    /** What the request's backend calls cost comes off the budget when it ends, whether it was answered or failed. */
    private void chargeAtEnd(Exchange exchange, Tenant tenant) {
        BucketConfiguration limits = tokenLimits(tenant);
        if (limits == null) {
            return;
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                RequestState ended = RequestState.of(done);
                long tokens = ended.fromCache() ? 0 : ended.usage().tokens();
                if (tokens > 0) {
                    buckets.charge(tokenBucket(tenant), limits, tokens);
                }
            }
        });
    }

    /** The token budget's bucket: one limit per window that is configured; null when the tenant has none. */
    private static BucketConfiguration tokenLimits(Tenant tenant) {
        if (tenant.tokensPerMinute() == 0 && tenant.tokensPerDay() == 0) {
            return null;
        }
        ConfigurationBuilder b = BucketConfiguration.builder();
        if (tenant.tokensPerMinute() > 0) {
            b.addLimit(Bandwidth.builder().capacity(tenant.tokensPerMinute())
                    .refillIntervally(tenant.tokensPerMinute(), MINUTE).id("minute").build());
        }
        if (tenant.tokensPerDay() > 0) {
            b.addLimit(Bandwidth.builder().capacity(tenant.tokensPerDay())
                    .refillIntervally(tenant.tokensPerDay(), DAY).id("day").build());
        }
        return b.build();
    }

    private static String tokenBucket(Tenant tenant) {
        return "tok:" + tenant.name() + ":" + tenant.tokensPerMinute() + ":" + tenant.tokensPerDay();
    }

    private ApiException limited(Tenant tenant, String reason, String code, String message, long limit, long remaining,
                                 long retrySeconds) {
        rejected.computeIfAbsent(tenant.name() + "\u0000" + reason, k -> Counter.builder("llmpool.rate.limited")
                .description("Requests refused by a tenant's limits")
                .tag("tenant", tenant.name()).tag("reason", reason).register(meters)).increment();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Retry-After", String.valueOf(retrySeconds));
        headers.put("RateLimit-Limit", String.valueOf(limit));
        headers.put("RateLimit-Remaining", String.valueOf(Math.max(0, remaining)));
        headers.put("RateLimit-Reset", String.valueOf(retrySeconds));
        return new ApiException(429, code, message + "; retry in " + retrySeconds + " s", null, null, headers);
    }

    /** Whole seconds, rounded up, at least 1 (Retry-After 0 would invite an immediate retry that fails again). */
    private static long seconds(long nanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toSeconds(nanos + 999_999_999L));
    }
}
