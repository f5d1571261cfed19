package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.apache.camel.builder.AdviceWith;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.llmpool.api.ApiException;
import dev.llmpool.grpc.v1.InferRequest;
import dev.llmpool.grpc.v1.LlmPoolGrpc;
import dev.llmpool.grpc.v1.Strategy;

/** Every error of the contract reaches a gRPC caller as its status code, with the field, code and request id. */
class GrpcStatusCodeTest extends GrpcTestSupport {

    private StatusRuntimeException fail(InferRequest request) {
        return assertThrows(StatusRuntimeException.class, () -> blocking().infer(request));
    }

    private static ErrorInfo errorInfo(StatusRuntimeException e) throws Exception {
        com.google.rpc.Status s = StatusProto.fromThrowable(e);
        assertNotNull(s, "google.rpc.Status details are attached");
        for (var any : s.getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                return any.unpack(ErrorInfo.class);
            }
        }
        throw new AssertionError("no ErrorInfo in " + s);
    }

    @Test
    void emptyPromptIsInvalidArgumentNamingTheField() throws Exception {
        StatusRuntimeException e = fail(request("expand_queries", "").build());
        assertEquals(Status.Code.INVALID_ARGUMENT, code(e));
        assertEquals("prompt", trailer(e, "llmpool-error-field"));
        assertEquals("invalid_field", trailer(e, "llmpool-error-code"));
        assertTrue(e.getStatus().getDescription().contains("prompt"), e.getStatus().getDescription());
        BadRequest bad = StatusProto.fromThrowable(e).getDetailsList().stream().filter(a -> a.is(BadRequest.class))
                .findFirst().orElseThrow().unpack(BadRequest.class);
        assertEquals("prompt", bad.getFieldViolations(0).getField());
        assertEquals(0, A.totalCalls(), "an invalid request never reaches a backend");
    }

    @ParameterizedTest(name = "{0} is INVALID_ARGUMENT")
    @CsvSource({"temperature", "max_tokens", "deadline_ms", "strategy", "top_p", "top_p NaN", "stop"})
    void invalidFieldsAreNamed(String fieldAndCase) {
        String field = fieldAndCase.split(" ")[0];
        InferRequest.Builder r = request("expand_queries", "x");
        switch (fieldAndCase) {
            case "temperature" -> r.setTemperature(2.5);
            case "top_p" -> r.setTopP(1.5);
            case "top_p NaN" -> r.setTopP(Double.NaN); // a double JSON has no number for
            case "stop" -> r.addAllStop(java.util.List.of("a", "b", "c", "d", "e")); // more than HTTP's 4
            case "max_tokens" -> r.setMaxTokens(0);
            case "deadline_ms" -> r.setDeadlineMs(1_000_000);
            default -> r.setStrategyValue(42); // a number this server does not know
        }
        StatusRuntimeException e = fail(r.build());
        assertEquals(Status.Code.INVALID_ARGUMENT, code(e));
        assertEquals(field, trailer(e, "llmpool-error-field"));
        assertTrue(e.getStatus().getDescription().contains(field), e.getStatus().getDescription());
    }

    @Test
    void promptTooLargeIsInvalidArgumentNotResourceExhausted() {
        StatusRuntimeException e = fail(request("expand_queries", "x".repeat(16385)).build());
        assertEquals(Status.Code.INVALID_ARGUMENT, code(e));
        assertEquals("prompt_too_large", trailer(e, "llmpool-error-code"));
        assertEquals("prompt", trailer(e, "llmpool-error-field"));
    }

    @Test
    void unknownTaskIsNotFound() {
        StatusRuntimeException e = fail(request("no_such_task", "x").build());
        assertEquals(Status.Code.NOT_FOUND, code(e));
        assertEquals("task", trailer(e, "llmpool-error-field"));
        assertTrue(e.getStatus().getDescription().contains("no_such_task"));
    }

    @Test
    void noProviderAnsweringIsUnavailableWithEachProvidersReason() throws Exception {
        A.model("phi3:mini").failWith(500, "{\"error\":\"llama runner process has terminated\"}");
        StatusRuntimeException e = fail(request("enrich_metadata", "x").build());
        assertEquals(Status.Code.UNAVAILABLE, code(e));
        ErrorInfo info = errorInfo(e);
        assertEquals("no_provider_available", info.getReason());
        assertEquals("HTTP 500: llama runner process has terminated", info.getMetadataOrThrow("provider.phi3"));
        assertTrue(StatusProto.fromThrowable(e).getDetailsList().stream().anyMatch(a -> a.is(com.google.rpc.RetryInfo.class)));
    }

    @Test
    void serverDeadlineIsDeadlineExceeded() {
        A.model("phi3:mini").hang();
        StatusRuntimeException e = fail(request("enrich_metadata", "x").setDeadlineMs(300).build());
        assertEquals(Status.Code.DEADLINE_EXCEEDED, code(e));
        assertEquals("deadline_exceeded", trailer(e, "llmpool-error-code"), "the pool's 504, not the client's own deadline");
    }

    @Test
    void aClientDeadlineBeyondTheMaximumIsCappedAtIt() {
        A.model("phi3:mini").hang();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
                LlmPoolGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                        .infer(request("enrich_metadata", "x").build()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, code(e));
        assertEquals("deadline_exceeded", trailer(e, "llmpool-error-code"),
                "the pool's own 504 at pool.limits.max-deadline-ms (1.5 s), not the caller's 60 s running out");
    }

    @Test
    void noConsensusIsAborted() throws Exception {
        // phi3 and llama31 give different answers, so CONSENSUS over expand_queries cannot agree.
        StatusRuntimeException e = fail(request("expand_queries", "x").setStrategy(Strategy.CONSENSUS).build());
        assertEquals(Status.Code.ABORTED, code(e));
        assertEquals("consensus_not_reached", errorInfo(e).getReason());
        assertTrue(errorInfo(e).getMetadataOrThrow("candidates").contains("phi3 says hello"));
    }

    /** Statuses no core feature of this branch produces yet (auth, rate limits): injected into the core route. */
    @ParameterizedTest(name = "HTTP {0} is {1}")
    @CsvSource({"401, UNAUTHENTICATED", "403, PERMISSION_DENIED", "429, RESOURCE_EXHAUSTED", "503, UNAVAILABLE",
            "504, DEADLINE_EXCEEDED", "422, ABORTED", "400, INVALID_ARGUMENT", "404, NOT_FOUND"})
    void coreRouteStatusesMapToGrpcCodes(int httpStatus, Status.Code expected) throws Exception {
        AdviceWith.adviceWith(context, "infer", a -> a.weaveById("validate-request").before().process(ex -> {
            throw new ApiException(httpStatus, "injected_" + httpStatus, "injected failure", null);
        }));
        StatusRuntimeException e = fail(request("expand_queries", "x").build());
        assertEquals(expected, code(e));
        assertEquals("injected_" + httpStatus, trailer(e, "llmpool-error-code"));
        assertFalse(trailer(e, "x-request-id").isBlank());
    }

    @Test
    void unexpectedFailureIsInternalWithoutDetails() throws Exception {
        AdviceWith.adviceWith(context, "infer", a -> a.weaveById("validate-request").before().process(ex -> {
            throw new IllegalStateException("secret internals");
        }));
        StatusRuntimeException e = fail(request("expand_queries", "x").build());
        assertEquals(Status.Code.INTERNAL, code(e));
        assertFalse(e.getStatus().getDescription().contains("secret internals"), e.getStatus().getDescription());
        assertFalse(e.getStatus().getDescription().contains("IllegalStateException"));
        assertTrue(e.getStatus().getDescription().contains(trailer(e, "x-request-id")), "the log is findable by request id");
    }

    @Test
    void aFailureInTheGrpcRouteItselfStillAnswersTheCall() throws Exception {
        AdviceWith.adviceWith(context, "grpc-api", a -> a.weaveById("grpc-to-json").before().process(ex -> {
            throw new IllegalStateException("broken mapping");
        }));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
                LlmPoolGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .infer(request("expand_queries", "x").build()));
        assertEquals(Status.Code.INTERNAL, code(e), "answered by the route's error handler, not left to time out");
        assertFalse(e.getStatus().getDescription().contains("broken mapping"));
    }
}
