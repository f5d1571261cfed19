package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Iterator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.llmpool.grpc.v1.InferReply;
import dev.llmpool.grpc.v1.InferStreamReply;

/**
 * The gRPC door in the meters: its requests count under {@code api="grpc"}, and a streamed FASTEST answer (the
 * streaming race, not the fan-out) counts its tokens and its overhead like any other.
 */
class GrpcMetricsTest extends GrpcTestSupport {

    @Test
    void grpcRequestsAndStreamedAnswersAreMetered() {
        A.model("phi3:mini").answer("one two three four");
        unaryAndStreamed("warm"); // first calls load classes and build the streaming client: real, one-off overhead
        String before = get("/metrics").body();
        A.model("phi3:mini").latency(Duration.ofMillis(200));
        unaryAndStreamed("measured");

        String metrics = get("/metrics").body();
        assertEquals(4, value(metrics, "llmpool_requests_seconds_count{api=\"grpc\",status=\"200\",strategy=\"FASTEST\","
                + "task=\"enrich_metadata\"}"));
        assertEquals(16, value(metrics, "llmpool_tokens_total{direction=\"completion\",provider=\"phi3\","
                + "task=\"enrich_metadata\",tenant=\"default\"}"), "4 words, twice unary and twice streamed");
        // the measured two waited 200 ms on phi3; neither's overhead reaches half that
        String overhead = "llmpool_overhead_seconds_bucket{le=\"0.1\"}";
        assertEquals(2, value(metrics, "llmpool_overhead_seconds_count") - value(before, "llmpool_overhead_seconds_count"));
        assertEquals(2, value(metrics, overhead) - value(before, overhead), metrics.lines()
                .filter(l -> l.startsWith("llmpool_overhead")).toList().toString());
    }

    private void unaryAndStreamed(String prompt) {
        InferReply unary = blocking().infer(request("enrich_metadata", prompt + " unary").build());
        assertEquals("one two three four", unary.getContent());
        Iterator<InferStreamReply> stream = blocking().inferStream(request("enrich_metadata", prompt + " streamed").build());
        InferStreamReply last = null;
        while (stream.hasNext()) {
            last = stream.next();
        }
        assertTrue(last != null && last.hasDone(), "the stream ends with its final message");
    }

    private static double value(String metrics, String sample) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(metrics);
        assertTrue(m.find(), sample + " is not on /metrics");
        return Double.parseDouble(m.group(1));
    }
}
