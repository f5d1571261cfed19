package dev.llmpool.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Date;
import java.util.concurrent.TimeUnit;

import com.google.rpc.RetryInfo;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.grpc.v1.HealthRequest;
import dev.llmpool.grpc.v1.InferRequest;
import dev.llmpool.grpc.v1.LlmPoolGrpc;

/** The access matrix over gRPC: metadata {@code authorization} (or {@code x-api-key}) and the gRPC status codes. */
class AuthGrpcTest extends AccessTestSupport {

    private ManagedChannel channel;

    /** beta may send one request a minute here, so the second is RESOURCE_EXHAUSTED. */
    @Override
    protected String accessConfig() {
        return "pool.tenants.beta.requests-per-minute=1\n";
    }

    @BeforeEach
    void openChannel() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private LlmPoolGrpc.LlmPoolBlockingStub stub(String key, String value) {
        LlmPoolGrpc.LlmPoolBlockingStub stub = LlmPoolGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        if (key == null) {
            return stub;
        }
        Metadata m = new Metadata();
        m.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
    }

    private final java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();

    /** A new prompt each time: no answer comes from the cache. */
    private InferRequest ask(String task) {
        return InferRequest.newBuilder().setTask(task).setPrompt("grpc question " + asked.incrementAndGet()).build();
    }

    private Status.Code fails(String key, String value, String task) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub(key, value).infer(ask(task)));
        return e.getStatus().getCode();
    }

    @Test
    void theMatrix() {
        assertEquals(Status.Code.UNAUTHENTICATED, fails(null, null, "enrich_metadata"));
        assertEquals(Status.Code.UNAUTHENTICATED, fails("authorization", bearer("lp_wrong"), "enrich_metadata"));
        assertEquals("phi3 says hello", stub("authorization", bearer(ALPHA_KEY)).infer(ask("enrich_metadata")).getContent());
        assertEquals(Status.Code.PERMISSION_DENIED, fails("authorization", bearer(BETA_KEY), "expand_queries"));
        assertEquals("phi3 says hello", stub("authorization", bearer(jwt(ED))).infer(ask("enrich_metadata")).getContent());
        Instant now = Instant.now();
        for (String bad : new String[] {jwt(rsa("k1")), unsigned(),
                jwt(RSA, c -> c.expirationTime(Date.from(now.minusSeconds(120)))),
                jwt(RSA, c -> c.notBeforeTime(Date.from(now.plusSeconds(120)))),
                jwt(RSA, c -> c.issuer("https://evil.test")), jwt(RSA, c -> c.audience("other"))}) {
            assertEquals(Status.Code.UNAUTHENTICATED, fails("authorization", bearer(bad), "enrich_metadata"));
        }
        assertEquals(0 + 0, B.calls("llama3.1:8b"));
        assertEquals(2, A.calls("phi3:mini"), "only the two accepted calls reached a backend");
        assertTrue(!A.lastHeaders("phi3:mini").containsKey("authorization"));
    }

    @Test
    void overTheLimitIsResourceExhaustedWithRetryInfo() throws Exception {
        stub("x-api-key", BETA_KEY).infer(ask("enrich_metadata"));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub("x-api-key", BETA_KEY).infer(ask("enrich_metadata")));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        RetryInfo retry = null;
        for (var detail : StatusProto.fromThrowable(e).getDetailsList()) {
            if (detail.is(RetryInfo.class)) {
                retry = detail.unpack(RetryInfo.class);
            }
        }
        assertTrue(retry != null && retry.getRetryDelay().getSeconds() >= 1 && retry.getRetryDelay().getSeconds() <= 60,
                "RetryInfo: " + retry);
    }

    @Test
    void healthIsTheStatusOnlyUnlessAdmin() {
        var anyone = stub(null, null).health(HealthRequest.getDefaultInstance());
        assertEquals(0, anyone.getProvidersCount());
        var admin = stub("authorization", bearer(ALPHA_KEY)).health(HealthRequest.getDefaultInstance());
        assertEquals(3, admin.getProvidersCount());
        assertEquals(anyone.getStatus(), admin.getStatus());
    }
}
