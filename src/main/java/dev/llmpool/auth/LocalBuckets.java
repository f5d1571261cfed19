package dev.llmpool.auth;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.local.LocalBucketBuilder;

/** Buckets in this process's memory: lock-free, exact under concurrency, completed at once. */
final class LocalBuckets implements Buckets {

    private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    @Override
    public CompletableFuture<ConsumptionProbe> tryConsume(String name, BucketConfiguration limits, long tokens) {
        return CompletableFuture.completedFuture(bucket(name, limits).tryConsumeAndReturnRemaining(tokens));
    }

    @Override
    public CompletableFuture<EstimationProbe> estimate(String name, BucketConfiguration limits) {
        return CompletableFuture.completedFuture(bucket(name, limits).estimateAbilityToConsume(1));
    }

    @Override
    public void charge(String name, BucketConfiguration limits, long tokens) {
        bucket(name, limits).consumeIgnoringRateLimits(tokens);
    }

    private Bucket bucket(String name, BucketConfiguration limits) {
        return buckets.computeIfAbsent(name, n -> {
            LocalBucketBuilder builder = Bucket.builder();
            for (var bandwidth : limits.getBandwidths()) {
                builder.addLimit(bandwidth);
            }
            return builder.build();
        });
    }
}
