package dev.llmpool.auth;

import java.util.concurrent.CompletableFuture;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;

/**
 * Token buckets (Bucket4j) by name: in this process ({@link LocalBuckets}) or in Redis, shared by every instance
 * ({@link RedisBuckets}). A name includes the limits it was made with, so a changed limit starts a fresh bucket.
 */
interface Buckets {

    /** Takes {@code tokens} if the bucket has them. */
    CompletableFuture<ConsumptionProbe> tryConsume(String name, BucketConfiguration limits, long tokens);

    /** Whether one token could be taken now, without taking it. */
    CompletableFuture<EstimationProbe> estimate(String name, BucketConfiguration limits);

    /** Takes {@code tokens} whatever is left (the bucket may go below zero: spent is spent). */
    void charge(String name, BucketConfiguration limits, long tokens);
}
