package dev.llmpool.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.fixture.LogCapture;
import dev.llmpool.grpc.v1.InferReply;
import dev.llmpool.grpc.v1.InferRequest;
import dev.llmpool.grpc.v1.LlmPoolGrpc;
import dev.llmpool.tracing.OtlpReceiver.Received;

/**
 * Tracing on, exporting to an OTLP/HTTP receiver on loopback: a request is a SERVER span continuing the caller's
 * {@code traceparent} (or a new trace), each backend call a CLIENT span under it with the GenAI attributes and its
 * outcome, and each backend was sent the {@code traceparent} of its own call's span, whole answer or stream; the
 * access log names the trace; gRPC metadata carries the caller's trace like an HTTP header.
 */
class TracingTest extends PoolTestSupport {

    private static final OtlpReceiver OTLP = OtlpReceiver.start();
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    /** The trace of the gRPC call (each test has its own: the receiver keeps every span). */
    private static final String GRPC_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String JUDGE_TRACE = "5b8aa5a2d2c872e8321cf37308d69df2";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    @AfterAll
    static void stopReceiver() {
        OTLP.close();
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.tracing.otlp-endpoint", OTLP.url());
        p.put("pool.tracing.service-name", "pool-under-test");
        p.put("pool.tracing.export-delay-ms", "50");
        return p;
    }

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=10000
                pool.tasks.vote_trio.providers=phi3,llama31,gemma2
                pool.tasks.vote_trio.strategy=VOTING
                pool.tasks.vote_trio.prompt=prompts/expand_queries.md
                pool.tasks.vote_trio.deadline-ms=5000
                pool.tasks.hedged.providers=phi3,llama31
                pool.tasks.hedged.strategy=FASTEST
                pool.tasks.hedged.hedge-after-ms=50
                pool.tasks.hedged.prompt=prompts/expand_queries.md
                pool.tasks.hedged.deadline-ms=5000
                pool.tasks.judged.providers=phi3,gemma2
                pool.tasks.judged.strategy=JUDGE
                pool.tasks.judged.judge=llama31
                pool.tasks.judged.prompt=prompts/expand_queries.md
                pool.tasks.judged.deadline-ms=5000
                """;
    }

    @Test
    void aVoteContinuesTheCallersTraceWithASpanPerBackendCall() throws Exception {
        A.model("phi3:mini").answer("blue").latency(Duration.ofMillis(100));
        B.model("llama3.1:8b").answer("blue").latency(Duration.ofMillis(150));
        C.model("gemma2:9b").failWith(500, "{\"error\":\"boom\"}");
        List<String> logged;
        try (LogCapture log = new LogCapture()) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                    .header("Content-Type", "application/json")
                    .header("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"vote_trio\",\"prompt\":\"sky colour?\"}"))
                    .build());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(eventually(Duration.ofSeconds(5), () -> log.text().contains("task=vote_trio")), log.text());
            logged = log.lines();
        }
        assertTrue(logged.stream().anyMatch(l -> l.contains("task=vote_trio") && l.endsWith("trace_id=" + TRACE)),
                "the access log names the trace: " + logged);

        List<Received> spans = OTLP.trace(TRACE, 4, Duration.ofSeconds(10));
        assertEquals(4, spans.size(), "the request and its three calls: " + spans);
        Received server = only(spans, Span.SpanKind.SPAN_KIND_SERVER);
        assertEquals(CALLER_SPAN, OtlpReceiver.hex(server.span().getParentSpanId().toByteArray()), "the caller's span");
        assertEquals("pool-under-test", server.service());
        assertEquals("infer vote_trio", server.span().getName());
        assertEquals("VOTING", server.attribute("llmpool.strategy"));
        assertEquals("200", server.attribute("http.response.status_code"));
        String winner = server.attribute("llmpool.winner");
        assertTrue(Set.of("phi3", "llama31").contains(winner), winner);

        Map<String, Received> calls = byProvider(spans);
        assertEquals(Set.of("phi3", "llama31", "gemma2"), calls.keySet());
        String serverId = OtlpReceiver.hex(server.span().getSpanId().toByteArray());
        for (Received call : calls.values()) {
            assertEquals(serverId, OtlpReceiver.hex(call.span().getParentSpanId().toByteArray()), call.toString());
            assertEquals("ollama", call.attribute("gen_ai.system"));
            assertEquals("chat", call.attribute("gen_ai.operation.name"));
        }
        Received phi3 = calls.get("phi3");
        assertEquals("phi3:mini", phi3.attribute("gen_ai.request.model"));
        assertEquals("chat phi3:mini", phi3.span().getName());
        assertNotNull(phi3.attribute("gen_ai.usage.input_tokens"));
        assertEquals("1", phi3.attribute("gen_ai.usage.output_tokens"));
        assertEquals(Set.of("won", "lost"), Set.of(phi3.attribute("llmpool.outcome"),
                calls.get("llama31").attribute("llmpool.outcome")));
        assertEquals("won", calls.get(winner).attribute("llmpool.outcome"));
        Received gemma = calls.get("gemma2");
        assertEquals("failed", gemma.attribute("llmpool.outcome"));
        assertEquals("500", gemma.attribute("error.type"));
        assertEquals(Status.StatusCode.STATUS_CODE_ERROR, gemma.span().getStatus().getCode());

        // each backend was sent its own call's span as the parent
        assertEquals(traceparent(phi3), A.lastHeaders("phi3:mini").get("traceparent"));
        assertEquals(traceparent(calls.get("llama31")), B.lastHeaders("llama3.1:8b").get("traceparent"));
        assertEquals(traceparent(gemma), C.lastHeaders("gemma2:9b").get("traceparent"));
        assertTrue(OTLP.contentTypes.stream().allMatch("application/x-protobuf"::equals), OTLP.contentTypes.toString());
    }

    @Test
    void aStreamWithoutTraceparentStartsATraceAndTheHedgedLoserIsCut() throws Exception {
        A.model("phi3:mini").answer("slow answer").latency(Duration.ofSeconds(2));
        B.model("llama3.1:8b").answer("fast answer");
        HttpResponse<String> r = infer("{\"task\":\"hedged\",\"prompt\":\"x\",\"stream\":true}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("fast"), r.body());

        Received server = null;
        for (int i = 0; i < 200 && server == null; i++) {
            server = OTLP.all().stream().filter(s -> s.span().getName().equals("infer hedged")).findFirst().orElse(null);
            Thread.sleep(50);
        }
        assertNotNull(server, "the request's span");
        assertTrue(server.span().getParentSpanId().isEmpty(), "a new trace: no parent");
        String traceId = OtlpReceiver.hex(server.span().getTraceId().toByteArray());
        List<Received> spans = OTLP.trace(traceId, 3, Duration.ofSeconds(10));
        Map<String, Received> calls = byProvider(spans);
        assertEquals("won", calls.get("llama31").attribute("llmpool.outcome"), spans.toString());
        assertEquals("cut", calls.get("phi3").attribute("llmpool.outcome"), spans.toString());
        assertEquals(traceparent(calls.get("llama31")), B.lastHeaders("llama3.1:8b").get("traceparent"));
        assertEquals(traceparent(calls.get("phi3")), A.lastHeaders("phi3:mini").get("traceparent"));
    }

    @Test
    void aGrpcCallContinuesTheTraceInItsMetadata() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        try {
            Metadata m = new Metadata();
            m.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-" + GRPC_TRACE + "-" + CALLER_SPAN + "-01");
            InferReply reply = LlmPoolGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m))
                    .infer(InferRequest.newBuilder().setTask("enrich_metadata").setPrompt("x").build());
            assertEquals("phi3 says hello", reply.getContent());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        List<Received> spans = OTLP.trace(GRPC_TRACE, 2, Duration.ofSeconds(10));
        Received server = only(spans, Span.SpanKind.SPAN_KIND_SERVER);
        assertEquals("grpc enrich_metadata", server.span().getName());
        assertEquals(CALLER_SPAN, OtlpReceiver.hex(server.span().getParentSpanId().toByteArray()));
        Received call = only(spans, Span.SpanKind.SPAN_KIND_CLIENT);
        assertEquals("won", call.attribute("llmpool.outcome"));
        assertEquals(traceparent(call), A.lastHeaders("phi3:mini").get("traceparent"));
    }

    @Test
    void judgeCandidatesWinOrLoseAndTheJudgesCallIsMarked() throws Exception {
        A.model("phi3:mini").answer("short answer");
        C.model("gemma2:9b").answer("thorough answer");
        B.model("llama3.1:8b").answer(req -> "{\"choice\": 2, \"reason\": \"more complete\"}");
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/infer"))
                .header("Content-Type", "application/json")
                .header("traceparent", "00-" + JUDGE_TRACE + "-" + CALLER_SPAN + "-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"judged\",\"prompt\":\"explain\"}")).build());
        assertEquals(200, r.statusCode(), r.body());

        List<Received> spans = OTLP.trace(JUDGE_TRACE, 4, Duration.ofSeconds(10));
        Received server = only(spans, Span.SpanKind.SPAN_KIND_SERVER);
        assertEquals("gemma2", server.attribute("llmpool.winner"));
        Map<String, Received> calls = byProvider(spans);
        assertEquals("won", calls.get("gemma2").attribute("llmpool.outcome"), spans.toString());
        assertEquals("lost", calls.get("phi3").attribute("llmpool.outcome"));
        assertEquals("judge", calls.get("llama31").attribute("llmpool.outcome"));
        String serverId = OtlpReceiver.hex(server.span().getSpanId().toByteArray());
        for (Received call : calls.values()) {
            assertEquals(serverId, OtlpReceiver.hex(call.span().getParentSpanId().toByteArray()), call.toString());
            assertEquals(traceparent(call), (call == calls.get("phi3") ? A : call == calls.get("gemma2") ? C : B)
                    .lastHeaders(call.attribute("gen_ai.request.model")).get("traceparent"));
        }
    }

    static Received only(List<Received> spans, Span.SpanKind kind) {
        List<Received> of = spans.stream().filter(s -> s.span().getKind() == kind).toList();
        assertEquals(1, of.size(), of.toString());
        return of.get(0);
    }

    private static Map<String, Received> byProvider(List<Received> spans) {
        return spans.stream().filter(s -> s.span().getKind() == Span.SpanKind.SPAN_KIND_CLIENT)
                .collect(Collectors.toMap(s -> s.attribute("llmpool.provider"), Function.identity()));
    }

    /** The header a backend should have been sent for this call: its span, with its trace flags. */
    static String traceparent(Received call) {
        return "00-" + OtlpReceiver.hex(call.span().getTraceId().toByteArray()) + "-"
                + OtlpReceiver.hex(call.span().getSpanId().toByteArray()) + "-"
                + String.format("%02x", call.span().getFlags() & 0xff); // sampled, and with no caller: random trace id
    }
}
