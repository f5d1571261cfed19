package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.llmpool.grpc.v1.InferReply;
import dev.llmpool.grpc.v1.InferRequest;
import dev.llmpool.grpc.v1.InferStreamReply;
import dev.llmpool.grpc.v1.LlmPoolGrpc;
import dev.llmpool.grpc.v1.Strategy;

/** InferStream: chunks as the winning model generates them, the final message, cancellation and deadlines. */
class GrpcStreamTest extends GrpcTestSupport {

    /** Room for slow streams: the deadlines in these tests are the caller's, never the shipped 1.5 s. */
    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.providers.gemma_openai.url=%s
                pool.providers.gemma_openai.kind=openai
                pool.providers.gemma_openai.model=gemma2:9b
                pool.tasks.openai_only.providers=gemma_openai
                pool.tasks.openai_only.prompt=prompts/expand_queries.md
                """.formatted(C.url());
    }

    /** Records what the call receives; can cancel it after the first chunk. */
    private static final class Recorder implements ClientResponseObserver<InferRequest, InferStreamReply> {
        final List<InferStreamReply> messages = new CopyOnWriteArrayList<>();
        final CountDownLatch firstChunk = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final boolean cancelAfterFirstChunk;
        final Runnable onFirstChunk;
        volatile Throwable error;
        volatile ClientCallStreamObserver<InferRequest> call;

        Recorder(boolean cancelAfterFirstChunk, Runnable onFirstChunk) {
            this.cancelAfterFirstChunk = cancelAfterFirstChunk;
            this.onFirstChunk = onFirstChunk;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<InferRequest> requestStream) {
            call = requestStream;
        }

        @Override
        public void onNext(InferStreamReply m) {
            messages.add(m);
            if (m.hasChunk() && firstChunk.getCount() > 0) {
                onFirstChunk.run();
                firstChunk.countDown();
                if (cancelAfterFirstChunk) {
                    call.cancel("the caller lost interest", null);
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            closed.countDown();
        }

        @Override
        public void onCompleted() {
            closed.countDown();
        }

        List<String> chunks() {
            return messages.stream().filter(InferStreamReply::hasChunk).map(m -> m.getChunk().getContent()).toList();
        }

        InferReply done() {
            InferStreamReply last = messages.get(messages.size() - 1);
            assertTrue(last.hasDone(), "the last message is the final one: " + messages);
            assertEquals(1, messages.stream().filter(InferStreamReply::hasDone).count(), "exactly one final message");
            return last.getDone();
        }

        Recorder await() throws InterruptedException {
            assertTrue(closed.await(30, TimeUnit.SECONDS), "the call ended");
            return this;
        }
    }

    private Recorder stream(InferRequest request) throws InterruptedException {
        return stream(request, false, () -> { }, 30_000);
    }

    private Recorder stream(InferRequest request, boolean cancel, Runnable onFirstChunk, long deadlineMs) {
        Recorder r = new Recorder(cancel, onFirstChunk);
        LlmPoolGrpc.newStub(channel).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).inferStream(request, r);
        return r;
    }

    private static String words(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
    }

    @Test
    void chunksArriveInOrderWhileTheModelGeneratesThenTheFinalMessage() throws Exception {
        // 2 s of generation after the first chunk: time for it to reach the caller while the model is still busy.
        A.model("phi3:mini").answer("one two three four five").chunkDelay(Duration.ofMillis(500));
        AtomicInteger backendBusyAtFirstChunk = new AtomicInteger(-1);
        Recorder r = stream(request("enrich_metadata", "x").build(), false,
                () -> backendBusyAtFirstChunk.set(A.inFlight("phi3:mini")), 30_000).await();

        assertNull(r.error);
        assertEquals(List.of("one", " two", " three", " four", " five"), r.chunks(), "one chunk per generated piece, in order");
        assertEquals(1, backendBusyAtFirstChunk.get(), "the first chunk arrived while the model was still generating");
        InferReply done = r.done();
        assertEquals("one two three four five", done.getContent(), "the final message carries the whole answer");
        assertEquals("phi3", done.getWinnerProvider());
        assertEquals(Strategy.FASTEST, done.getStrategyUsed());
        assertEquals(5, done.getUsage().getCompletionTokens(), "usage from the stream's final line");
        assertTrue(done.getUsage().getPromptTokens() > 0);
        assertTrue(A.lastRequest("phi3:mini").path("stream").asBoolean(false), "the backend was asked to stream");
    }

    @Test
    void topPStopAndSeedReachTheStreamingBackend() throws Exception {
        Recorder r = stream(withSampling(request("enrich_metadata", "x")).build()).await();
        assertNull(r.error);
        assertEquals("phi3 says hello", r.done().getContent());
        assertTrue(A.lastRequest("phi3:mini").path("stream").asBoolean(false), "the streaming call");
        assertSamplingSent(A.lastRequest("phi3:mini"));
    }

    @Test
    void fastestStreamsFromTheFirstProviderToProduceATokenAndCancelsTheOther() throws Exception {
        // expand_queries: phi3 then llama31, hedge after 300 ms. phi3 would take 10 s to say anything.
        A.model("phi3:mini").latency(Duration.ofSeconds(10));
        B.model("llama3.1:8b").answer("fast answer here");
        Recorder r = stream(request("expand_queries", "x").build()).await();

        assertNull(r.error);
        assertEquals("fast answer here", String.join("", r.chunks()));
        InferReply done = r.done();
        assertEquals("llama31", done.getWinnerProvider());
        assertTrue(done.getHedged());
        assertEquals(List.of("phi3:mini", "llama3.1:8b"), done.getModelsQueriedList());
        assertTrue(eventually(Duration.ofSeconds(5), () -> A.inFlight("phi3:mini") == 0),
                "the losing call's connection was closed, long before its 10 s");
    }

    @Test
    void aFailureBeforeTheFirstTokenMovesToTheNextProvider() throws Exception {
        A.model("phi3:mini").failWith(500, "{\"error\":\"out of memory\"}");
        Recorder r = stream(request("expand_queries", "x").build()).await();
        assertNull(r.error);
        assertEquals("llama says hello", String.join("", r.chunks()));
        assertEquals("llama31", r.done().getWinnerProvider());
    }

    @Test
    void openAiBackendsStreamToo() throws Exception {
        C.model("gemma2:9b").answer("sse answer").chunkDelay(Duration.ofMillis(20));
        Recorder r = stream(request("openai_only", "x").build()).await();
        assertNull(r.error);
        assertEquals(List.of("sse", " answer"), r.chunks());
        assertEquals(2, r.done().getUsage().getCompletionTokens(), "usage from the include_usage chunk");
    }

    @Test
    void strategiesThatNeedWholeAnswersSendTheDecidedAnswerAsOneChunk() throws Exception {
        for (Strategy s : List.of(Strategy.VOTING, Strategy.JUDGE)) {
            Recorder r = stream(request("expand_queries", "x").setStrategy(s).build()).await();
            assertNull(r.error, s.name());
            InferReply done = r.done();
            assertEquals(List.of(done.getContent()), r.chunks(), s + ": the decided answer as one chunk");
            assertEquals(s, done.getStrategyUsed());
            assertEquals(2, r.messages.size());
        }
    }

    @Test
    void cancellingTheCallClosesTheBackendCall() throws Exception {
        A.model("phi3:mini").answer(words(60)).chunkDelay(Duration.ofMillis(200)); // 12 s of generation
        Recorder r = stream(request("enrich_metadata", "x").build(), true, () -> { }, 30_000);
        assertTrue(r.firstChunk.await(10, TimeUnit.SECONDS));
        r.await();
        assertEquals(Status.Code.CANCELLED, Status.fromThrowable(r.error).getCode());
        assertTrue(eventually(Duration.ofSeconds(5), () -> A.inFlight("phi3:mini") == 0),
                "the backend saw its client go away, long before its 12 s of generation");
    }

    @Test
    void theCallersDeadlineEndsTheStreamAndTheBackendCall() throws Exception {
        A.model("phi3:mini").hang();
        Recorder r = stream(request("enrich_metadata", "x").build(), false, () -> { }, 500).await();
        assertEquals(Status.Code.DEADLINE_EXCEEDED, Status.fromThrowable(r.error).getCode());
        assertTrue(eventually(Duration.ofSeconds(5), () -> A.inFlight("phi3:mini") == 0),
                "the backend call ended with the caller's 500 ms deadline, not the task's 20 s");
    }

    @Test
    void theCallersDeadlineCountsAsDeadlineMsForInferToo() {
        A.model("phi3:mini").hang();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
                LlmPoolGrpc.newBlockingStub(channel).withDeadlineAfter(500, TimeUnit.MILLISECONDS)
                        .infer(request("enrich_metadata", "x").build()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, code(e));
        assertTrue(eventually(Duration.ofSeconds(5), () -> A.inFlight("phi3:mini") == 0),
                "the backend call's timeout was the caller's 500 ms, not the task's 20 s");
    }

    @Test
    void aWinnerFailingMidStreamFailsTheCallAfterItsChunks() throws Exception {
        A.model("phi3:mini").answer("one two three four").chunkDelay(Duration.ofMillis(20)).errorMidStream("GPU fell off");
        Recorder r = stream(request("enrich_metadata", "x").build()).await();
        assertEquals(List.of("one", " two"), r.chunks(), "what was generated before the failure");
        StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, r.error);
        assertEquals(Status.Code.UNAVAILABLE, code(e));
        assertEquals("provider_failed_mid_stream", trailer(e, "llmpool-error-code"));
        assertTrue(e.getStatus().getDescription().contains("GPU fell off"), e.getStatus().getDescription());
    }

    @Test
    void anOpenCircuitRefusesStreamingCallsToo() throws Exception {
        var breaker = context.getRegistry().lookupByNameAndType("providerGuards", dev.llmpool.resilience.ProviderGuards.class)
                .breaker("phi3");
        breaker.transitionToForcedOpenState();
        try {
            Recorder r = stream(request("enrich_metadata", "x").build()).await();
            StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, r.error);
            assertEquals(Status.Code.UNAVAILABLE, code(e));
            String details = io.grpc.protobuf.StatusProto.fromThrowable(e).toString();
            assertTrue(details.contains("circuit breaker open"), details);
            assertEquals(0, A.calls("phi3:mini"), "the provider route's breaker guards the streaming call");
        } finally {
            breaker.transitionToClosedState();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"prompt", "top_p"})
    void anInvalidStreamRequestFailsWithTheField(String field) throws Exception {
        InferRequest.Builder request = field.equals("prompt") ? request("enrich_metadata", "")
                : request("enrich_metadata", "x").setTopP(1.5);
        Recorder r = stream(request.build()).await();
        StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, r.error);
        assertEquals(Status.Code.INVALID_ARGUMENT, code(e));
        assertEquals(field, trailer(e, "llmpool-error-field"));
        assertEquals(0, r.messages.size());
        assertEquals(0, A.totalCalls(), "an invalid request never reaches a backend");
    }
}
