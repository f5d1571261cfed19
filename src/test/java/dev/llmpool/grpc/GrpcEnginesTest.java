package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import dev.llmpool.grpc.v1.InferReply;
import dev.llmpool.grpc.v1.InferStreamReply;
import dev.llmpool.grpc.v1.LlmPoolGrpc;
import dev.llmpool.grpc.v1.Strategy;

/**
 * Issue 16 on the gRPC door: the engine's finish reason (field 15) and every call's usage (field 16) on the reply, a
 * stream whose deadline passes counted as a 504 (not as a caller who left), and a cancelled unary Infer ending its
 * backend call as InferStream's cancel does.
 */
class GrpcEnginesTest extends GrpcTestSupport {

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.tasks.vote3.providers=phi3,llama31,gemma2
                pool.tasks.vote3.strategy=VOTING
                pool.tasks.vote3.deadline-ms=10000
                pool.tasks.vote3.prompt=prompts/expand_queries.md
                pool.tasks.slow.providers=phi3
                pool.tasks.slow.deadline-ms=15000
                pool.tasks.slow.prompt=prompts/expand_queries.md
                """;
    }

    @Test
    void theReplyCarriesTheEnginesFinishReasonAndUsageTotal() {
        A.model("phi3:mini").answer("alpha answer here");
        B.model("llama3.1:8b").answer("beta answer here");
        C.model("gemma2:9b").answer("gamma answer here four");
        InferReply reply = blocking().infer(request("vote3", "x").setStrategy(Strategy.VOTING).build());
        assertEquals("stop", reply.getFinishReason());
        assertEquals(reply.getWinnerProvider().equals("gemma2") ? 4 : 3, reply.getUsage().getCompletionTokens());
        assertEquals(10, reply.getUsageTotal().getCompletionTokens(), "every voter's tokens: " + reply);

        A.model("phi3:mini").answer("one two three four five six");
        InferReply cut = blocking().infer(request("enrich_metadata", "y").setMaxTokens(2).build());
        assertEquals("length", cut.getFinishReason());
        assertEquals(2, cut.getUsageTotal().getCompletionTokens());
    }

    @Test
    void aStreamWhoseDeadlinePassesCountsAs504() {
        blocking().infer(request("enrich_metadata", "warm up").build()); // a cold first call could spend the deadline
        A.model("phi3:mini").latency(Duration.ofSeconds(10));
        String before = get("/metrics").body();
        Iterator<InferStreamReply> stream = LlmPoolGrpc.newBlockingStub(channel).withDeadlineAfter(1500, TimeUnit.MILLISECONDS)
                .inferStream(request("slow", "x").build());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> {
            while (stream.hasNext()) {
                stream.next();
            }
        });
        assertEquals(io.grpc.Status.Code.DEADLINE_EXCEEDED, code(e));
        String s504 = "llmpool_requests_seconds_count{api=\"grpc\",status=\"504\",strategy=\"FASTEST\",task=\"slow\"}";
        String s499 = "llmpool_requests_seconds_count{api=\"grpc\",status=\"499\",strategy=\"FASTEST\",task=\"slow\"}";
        assertTrue(eventually(Duration.ofSeconds(5), () -> value(get("/metrics").body(), s504) - value(before, s504) == 1),
                get("/metrics").body().lines().filter(l -> l.contains("task=\"slow\"")).toList().toString());
        assertEquals(0, value(get("/metrics").body(), s499) - value(before, s499));
    }

    @Test
    void aCancelledUnaryInferEndsItsBackendCall() {
        A.model("phi3:mini").latency(Duration.ofSeconds(10));
        int abortedBefore = A.aborted("phi3:mini");
        ListenableFuture<InferReply> call = LlmPoolGrpc.newFutureStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .infer(request("slow", "x").build());
        assertTrue(eventually(Duration.ofSeconds(5), () -> A.inFlight("phi3:mini") == 1), "the backend is generating");
        call.cancel(true);
        assertTrue(eventually(Duration.ofSeconds(5), () -> A.inFlight("phi3:mini") == 0
                && A.aborted("phi3:mini") == abortedBefore + 1), "the backend call was ended, not left generating");
    }

    /** A sample's value on /metrics, 0 when it is not there yet. */
    private static double value(String metrics, String sample) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
