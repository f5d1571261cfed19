package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

/** A prompt no provider's context window holds is INVALID_ARGUMENT over gRPC (the same request can never succeed). */
class ContextWindowGrpcTest extends GrpcTestSupport {

    @Override
    protected String extraConfig() {
        return """
                pool.providers.small.url=%s
                pool.providers.small.model=phi3:mini
                pool.providers.small.context-tokens=64
                pool.tasks.ctx.providers=small
                pool.tasks.ctx.prompt=prompts/expand_queries.md
                """.formatted(A.url());
    }

    @Test
    void promptTooLongForTheTaskIsInvalidArgument() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> blocking().infer(request("ctx", "word ".repeat(200)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(e));
        assertEquals("prompt_too_long_for_task", trailer(e, "llmpool-error-code"));
        assertEquals(0, A.totalCalls(), "the backend was never called");
    }
}
