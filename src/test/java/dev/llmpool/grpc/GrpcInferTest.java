package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.llmpool.grpc.v1.InferReply;
import dev.llmpool.grpc.v1.Strategy;

/** Infer over a real socket: the same core route, fields and backend call as HTTP. */
class GrpcInferTest extends GrpcTestSupport {

    @Test
    void inferAnswersWithTheContractFields() {
        InferReply r = blocking().infer(request("expand_queries", "ambient cinematic").setMaxTokens(64).build());
        assertEquals("phi3 says hello", r.getContent());
        assertEquals("phi3:mini", r.getWinnerModel());
        assertEquals("phi3", r.getWinnerProvider());
        assertEquals(Strategy.FASTEST, r.getStrategyUsed());
        assertEquals("expand_queries", r.getTask());
        assertEquals(java.util.List.of("phi3:mini"), r.getModelsQueriedList());
        assertFalse(r.getRequestId().isBlank());
        assertTrue(r.getUsage().getPromptTokens() > 0);
        assertEquals(3, r.getUsage().getCompletionTokens());
    }
}
