package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

import dev.llmpool.grpc.v1.InferReply;
import dev.llmpool.grpc.v1.LlmPoolGrpc;

/** A unary Infer call cancelled by its client stops its backend calls (the request's deadline is 20 s away). */
class GrpcCancellationTest extends GrpcTestSupport {

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=30000
                pool.tasks.patient.providers=phi3
                pool.tasks.patient.strategy=FASTEST
                pool.tasks.patient.deadline-ms=20000
                pool.tasks.patient.prompt=prompts/expand_queries.md
                """;
    }

    @Test
    void cancellingAnInferCallStopsItsBackendCall() throws Exception {
        A.model("phi3:mini").latency(Duration.ofSeconds(60));
        CountDownLatch called = A.onCall("phi3:mini");
        CountDownLatch ended = new CountDownLatch(1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        Context.CancellableContext call = Context.current().withCancellation();
        call.run(() -> LlmPoolGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .infer(request("patient", "x").build(), new StreamObserver<InferReply>() {
                    @Override
                    public void onNext(InferReply reply) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        error.set(t);
                        ended.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        ended.countDown();
                    }
                }));
        assertTrue(called.await(10, TimeUnit.SECONDS), "the backend call is running");
        call.cancel(null);
        assertTrue(ended.await(10, TimeUnit.SECONDS));
        assertEquals(Status.Code.CANCELLED, Status.fromThrowable(error.get()).getCode());
        assertTrue(eventually(Duration.ofSeconds(10), () -> A.inFlight("phi3:mini") == 0),
                "the backend saw its client go away, long before its 60 s and the request's 20 s deadline");
    }
}
