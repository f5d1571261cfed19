package dev.llmpool.cache;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.fixture.FakeBackend;

/** Requests with headers, answers held back until a test lets them go, and the cache's counters. */
abstract class CacheTestSupport extends PoolTestSupport {

    /** enrich_metadata has one provider (phi3 on backend A) and no hedge: one request, one backend call. */
    protected static String body(String prompt) {
        return "{\"task\":\"enrich_metadata\",\"prompt\":\"" + prompt + "\"}";
    }

    protected HttpResponse<String> infer(String json, String... headers) {
        return send(request(port, json, headers));
    }

    protected CompletableFuture<HttpResponse<String>> inferAsync(String json, String... headers) {
        return HTTP.sendAsync(request(port, json, headers), HttpResponse.BodyHandlers.ofString());
    }

    protected static HttpRequest request(int port, String json, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    /** The model answers only once the returned latch is released (at most 20 s later). */
    protected static CountDownLatch holdAnswers(FakeBackend backend, String model, String answer) {
        CountDownLatch release = new CountDownLatch(1);
        backend.model(model).answer(request -> {
            await(release);
            return answer;
        });
        return release;
    }

    /** As {@link #holdAnswers}, but the held call then fails (the backend answers 500). */
    protected static CountDownLatch holdThenFail(FakeBackend backend, String model) {
        CountDownLatch release = new CountDownLatch(1);
        backend.model(model).answer(request -> {
            await(release);
            throw new IllegalStateException("scripted failure");
        });
        return release;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    protected double count(String name, String tagKey, String tagValue) {
        MeterRegistry meters = context.getRegistry().findSingleByType(MeterRegistry.class);
        Counter c = meters.find(name).tag(tagKey, tagValue).counter();
        return c == null ? 0 : c.count();
    }
}
