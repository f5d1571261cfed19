package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import dev.llmpool.PoolTestSupport;
import dev.llmpool.grpc.v1.InferRequest;
import dev.llmpool.grpc.v1.LlmPoolGrpc;

/** The running service (see {@link PoolTestSupport}) and a generated grpc-java client on a real socket to its gRPC port. */
abstract class GrpcTestSupport extends PoolTestSupport {

    protected ManagedChannel channel;

    @BeforeEach
    void openChannel() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Blocking stub with a generous deadline, so that a hanging call fails the test instead of hanging it. */
    protected LlmPoolGrpc.LlmPoolBlockingStub blocking() {
        return LlmPoolGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    protected static InferRequest.Builder request(String task, String prompt) {
        return InferRequest.newBuilder().setTask(task).setPrompt(prompt);
    }

    /** top_p, two stop sequences and a seed: the fields HTTP takes besides the ones every gRPC test sets. */
    protected static InferRequest.Builder withSampling(InferRequest.Builder r) {
        return r.setTopP(0.5).addStop("END").addStop("STOP").setSeed(7);
    }

    /** What {@link #withSampling} set, as the Ollama dialect carries it (what /v1/infer's tests assert). */
    protected static void assertSamplingSent(JsonNode ollamaRequest) {
        JsonNode options = ollamaRequest.path("options");
        assertEquals(0.5, options.path("top_p").asDouble(-1), options.toString());
        List<String> stop = new ArrayList<>();
        options.path("stop").forEach(n -> stop.add(n.asText()));
        assertEquals(List.of("END", "STOP"), stop, options.toString());
        assertEquals(7, options.path("seed").asLong(-1), options.toString());
    }

    protected static String trailer(StatusRuntimeException e, String key) {
        Metadata t = e.getTrailers();
        return t == null ? null : t.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    }

    protected static Status.Code code(StatusRuntimeException e) {
        return e.getStatus().getCode();
    }
}
