package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.Metadata;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

import dev.llmpool.grpc.v1.HealthReply;
import dev.llmpool.grpc.v1.HealthRequest;
import dev.llmpool.grpc.v1.InferReply;
import dev.llmpool.grpc.v1.LlmPoolGrpc;
import dev.llmpool.grpc.v1.ProviderHealth;
import dev.llmpool.grpc.v1.ReplicaHealth;
import dev.llmpool.grpc.v1.Strategy;

/** Infer and Health over a real socket: the same core route, fields and backend call as HTTP; reflection. */
class GrpcInferTest extends GrpcTestSupport {

    /** No hedge (phi3 alone must answer) and room to answer on a loaded machine. */
    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.tasks.expand_queries.hedge-after-ms=20000
                """;
    }

    private LlmPoolGrpc.LlmPoolBlockingStub withMetadata(String key, String value) {
        Metadata m = new Metadata();
        m.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
        return blocking().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
    }

    @Test
    void inferAnswersWithTheContractFields() {
        InferReply r = blocking().infer(request("expand_queries", "ambient cinematic").setMaxTokens(64).build());
        assertEquals("phi3 says hello", r.getContent());
        assertEquals("phi3:mini", r.getWinnerModel());
        assertEquals("phi3", r.getWinnerProvider());
        assertEquals(Strategy.FASTEST, r.getStrategyUsed());
        assertEquals("expand_queries", r.getTask());
        assertEquals(List.of("phi3:mini"), r.getModelsQueriedList());
        assertFalse(r.getFromCache());
        assertFalse(r.getHedged());
        assertFalse(r.getRequestId().isBlank());
        assertTrue(r.getUsage().getPromptTokens() > 0);
        assertEquals(3, r.getUsage().getCompletionTokens());
    }

    @Test
    void requestIdMetadataIsUsedAsOverHttp() {
        InferReply r = withMetadata("x-request-id", "grpc-req-42").infer(request("expand_queries", "x").build());
        assertEquals("grpc-req-42", r.getRequestId());
    }

    @Test
    void requestFieldsReachTheBackendAsOverHttp() {
        Struct schema = Struct.newBuilder()
                .putFields("type", Value.newBuilder().setStringValue("array").build())
                .putFields("maxItems", Value.newBuilder().setNumberValue(3).build())
                .build();
        A.model("phi3:mini").answer("[\"ambient\", \"cinematic\"]"); // an answer the schema accepts
        blocking().infer(request("expand_queries", "ambient cinematic").setMaxTokens(64).setTemperature(0.2)
                .setFormat(Value.newBuilder().setStructValue(schema)).build());
        JsonNode sent = A.lastRequest("phi3:mini");
        assertEquals(64, sent.path("options").path("num_predict").asInt());
        assertEquals(0.2, sent.path("options").path("temperature").asDouble(), 1e-9);
        assertEquals("array", sent.path("format").path("type").asText());
        assertTrue(sent.path("format").path("maxItems").isIntegralNumber(), "3 stays 3, not 3.0: " + sent.path("format"));
        assertTrue(sent.path("messages").path(0).path("content").asText().contains("ambient cinematic"));
        assertFalse(sent.path("stream").asBoolean(true), "Infer asks for the whole answer");

        blocking().infer(request("expand_queries", "x").setFormat(Value.newBuilder().setStringValue("json")).build());
        assertEquals("json", A.lastRequest("phi3:mini").path("format").asText());
    }

    @Test
    void topPStopAndSeedReachTheBackendAsOverHttp() {
        blocking().infer(withSampling(request("expand_queries", "x")).build());
        assertSamplingSent(A.lastRequest("phi3:mini"));

        blocking().infer(request("expand_queries", "x").build());
        JsonNode options = A.lastRequest("phi3:mini").path("options");
        assertTrue(options.path("top_p").isMissingNode() && options.path("stop").isMissingNode()
                && options.path("seed").isMissingNode(), "left out, the backend's defaults apply: " + options);
    }

    @Test
    void callerMetadataNeverReachesTheBackend() {
        withMetadata("authorization", "Bearer caller-secret").infer(request("expand_queries", "x").build());
        assertFalse(A.lastHeaders("phi3:mini").containsKey("authorization"), A.lastHeaders("phi3:mini").toString());
    }

    @Test
    void votingAnswerCarriesVotesAndAgreement() {
        InferReply r = blocking().infer(request("expand_queries", "x").setStrategy(Strategy.VOTING).build());
        assertEquals(Strategy.VOTING, r.getStrategyUsed());
        assertEquals(2, r.getVotesMap().values().stream().mapToInt(Integer::intValue).sum(), r.getVotesMap().toString());
        assertTrue(r.hasAgreement());
        assertEquals(List.of("phi3:mini", "llama3.1:8b"), r.getModelsQueriedList());
    }

    @Test
    void judgeAnswerCarriesTheVerdict() {
        InferReply r = blocking().infer(request("site_tactics", "x").build());
        assertEquals(Strategy.JUDGE, r.getStrategyUsed());
        assertTrue(r.hasJudge());
        assertEquals("llama3.1:8b", r.getJudge().getModel());
        // The fake judge answers prose, not a verdict: the pool says so instead of inventing a choice.
        assertTrue(r.getJudge().getSkipped());
        assertFalse(r.getJudge().getReason().isBlank());
    }

    @Test
    void healthReportsThePoolAndEveryProvider() {
        HealthReply h = blocking().health(HealthRequest.getDefaultInstance());
        assertEquals(HealthReply.Status.UP, h.getStatus());
        assertEquals(List.of("gemma2", "llama31", "phi3"),
                h.getProvidersList().stream().map(ProviderHealth::getName).sorted().toList());
        for (ProviderHealth p : h.getProvidersList()) {
            assertEquals(ProviderHealth.Status.UP, p.getStatus(), p.toString());
            assertEquals(ProviderHealth.Circuit.CLOSED, p.getCircuit());
            assertTrue(p.hasLatencyMs());
            // one replica each here, listed as /health lists it
            assertEquals(1, p.getReplicasCount(), p.toString());
            ReplicaHealth r = p.getReplicas(0);
            assertEquals(p.getUrl(), r.getUrl());
            assertEquals(ProviderHealth.Status.UP, r.getStatus());
            assertEquals(ProviderHealth.Circuit.CLOSED, r.getCircuit());
            assertTrue(r.getUsable());
            assertEquals(0, r.getInflight());
        }
    }

    @Test
    void healthSaysDownAsAnAnswerNotAnError() {
        A.stop();
        B.stop();
        C.stop();
        assertTrue(eventually(java.time.Duration.ofSeconds(15),
                () -> blocking().health(HealthRequest.getDefaultInstance()).getStatus() == HealthReply.Status.DOWN));
        ProviderHealth phi3 = blocking().health(HealthRequest.getDefaultInstance()).getProvidersList().stream()
                .filter(p -> p.getName().equals("phi3")).findFirst().orElseThrow();
        assertEquals(ProviderHealth.Status.DOWN, phi3.getStatus());
        assertFalse(phi3.getLastError().isBlank());
        assertEquals(ProviderHealth.Status.DOWN, phi3.getReplicas(0).getStatus());
        assertFalse(phi3.getReplicas(0).getUsable());
        assertFalse(phi3.getReplicas(0).getLastError().isBlank());
    }

    @Test
    void serverReflectionListsTheService() throws Exception {
        List<String> services = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse r) {
                        r.getListServicesResponse().getServiceList().forEach(s -> services.add(s.getName()));
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        done.countDown();
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertTrue(services.contains("llmpool.v1.LlmPool"), services.toString());
    }
}
