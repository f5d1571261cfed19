package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.grpc.v1.InferRequest;
import dev.llmpool.grpc.v1.InferStreamReply;

/**
 * A streamed FASTEST and a whole-answer FASTEST run the same race over the same provider route: the same 504 at the
 * deadline (whatever the provider's own reason), and the same wait for a provider at max-concurrency
 * ({@code max-concurrency-wait-ms}).
 */
class StreamAndWholeRaceAlikeTest extends GrpcTestSupport {

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.providers.phi3.max-concurrency=1
                pool.providers.phi3.max-concurrency-wait-ms=5000
                pool.providers.phi3.breaker.minimum-calls=100
                pool.providers.phi3.breaker.sliding-window-size=100
                """;
    }

    /** The holders' own thread: the common pool has a single thread on a two-core machine. */
    private final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void stopCallers() {
        callers.shutdownNow();
    }

    private List<String> streamedChunks(InferRequest request) {
        List<String> chunks = new ArrayList<>();
        blocking().inferStream(request).forEachRemaining(m -> {
            if (m.getEventCase() == InferStreamReply.EventCase.CHUNK) {
                chunks.add(m.getChunk().getContent());
            }
        });
        return chunks;
    }

    @Test
    void aStreamedAndAWholeFastestGiveTheSame504AtTheDeadline() {
        A.model("phi3:mini").hang();
        InferRequest request = request("enrich_metadata", "x").setDeadlineMs(300).build();
        StatusRuntimeException whole = assertThrows(StatusRuntimeException.class, () -> blocking().infer(request));
        StatusRuntimeException streamed = assertThrows(StatusRuntimeException.class, () -> streamedChunks(request));
        for (StatusRuntimeException e : List.of(whole, streamed)) {
            assertEquals(Status.Code.DEADLINE_EXCEEDED, code(e), e.getStatus().toString());
            assertEquals("deadline_exceeded", trailer(e, "llmpool-error-code"));
        }
        assertEquals(whole.getStatus().getDescription().replaceAll("request [-0-9a-f]+", ""),
                streamed.getStatus().getDescription().replaceAll("request [-0-9a-f]+", ""));
        assertTrue(eventually(Duration.ofSeconds(2), () -> A.aborted("phi3:mini") == 2),
                "both hanging calls were closed at the deadline");
    }

    /**
     * Issue 23, item 12: a backend hanging past the deadline answered 503 "timed out" or 504 at random. (Its breaker
     * is kept from opening here: the timeouts count, and an open breaker is rightly a 503.)
     */
    @Test
    void aBackendHangingPastTheDeadlineIsAlwaysA504() {
        A.model("phi3:mini").hang();
        for (int deadlineMs : new int[] {1, 1, 1, 2, 5, 20, 50, 50}) {
            HttpResponse<String> r = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"x\",\"deadline_ms\":"
                    + deadlineMs + "}");
            assertEquals(504, r.statusCode(), deadlineMs + " ms: " + r.body());
            assertEquals("deadline_exceeded", json(r).path("error").path("code").asText(), r.body());
        }
    }

    @Test
    void aStreamedAndAWholeFastestWaitAlikeForAProviderAtMaxConcurrency() throws Exception {
        A.model("phi3:mini").answer("slot freed").latency(Duration.ofMillis(600));
        for (boolean streamed : new boolean[] {true, false}) {
            var held = A.onCall("phi3:mini");
            CompletableFuture<HttpResponse<String>> holder = CompletableFuture.supplyAsync(
                    () -> infer("{\"task\":\"enrich_metadata\",\"prompt\":\"holder " + streamed + "\"}"), callers);
            assertTrue(held.await(5, TimeUnit.SECONDS), "phi3's only slot is taken");
            InferRequest request = request("enrich_metadata", "waiter " + streamed).build(); // no cache hit
            String content = streamed ? String.join("", streamedChunks(request)) : blocking().infer(request).getContent();
            assertEquals("slot freed", content, (streamed ? "streamed" : "whole") + ": waited for the slot");
            assertEquals(200, holder.get(10, TimeUnit.SECONDS).statusCode());
        }
        assertEquals(4, A.calls("phi3:mini"), "every call reached phi3, none refused as busy");
    }
}
