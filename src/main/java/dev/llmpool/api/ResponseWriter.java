package dev.llmpool.api;

import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.ensemble.EnsembleProcessor;
import dev.llmpool.ensemble.Outcome;

/** Shapes the ensemble's {@link Outcome} into the contract's 200 body. */
public class ResponseWriter implements Processor {

    private final ObjectMapper mapper;

    public ResponseWriter(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws JsonProcessingException {
        Outcome o = EnsembleProcessor.outcome(exchange);
        InferRequest req = exchange.getProperty(Headers.REQUEST, InferRequest.class);
        String requestId = exchange.getProperty(Headers.REQUEST_ID_PROPERTY, String.class);
        ObjectNode body = mapper.createObjectNode();
        body.put("request_id", requestId);
        body.put("task", req.task());
        body.put("content", o.winner().content());
        body.put("winner_model", o.winner().model());
        body.put("winner_provider", o.winner().provider());
        body.put("strategy_used", o.strategy().name());
        o.modelsQueried().forEach(body.putArray("models_queried")::add);
        body.put("duration_ms", elapsedMillis(exchange));
        body.put("from_cache", exchange.getProperty(Headers.FROM_CACHE, false, Boolean.class));
        body.put("hedged", o.hedged());
        body.putObject("usage").put("prompt_tokens", o.promptTokens()).put("completion_tokens", o.completionTokens());
        if (o.votes() != null) {
            ObjectNode votes = body.putObject("votes");
            o.votes().forEach(votes::put);
        }
        if (o.agreement() != null) {
            body.put("agreement", o.agreement());
        }
        if (o.judge() != null) {
            body.set("judge", mapper.valueToTree(o.judge()));
        }
        write(exchange, 200, requestId, mapper.writeValueAsString(body), Map.of());
    }

    static long elapsedMillis(Exchange exchange) {
        Long started = exchange.getProperty(Headers.STARTED_NANOS, Long.class);
        return started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
    }

    /** A JSON reply carrying the request id. */
    static void write(Exchange exchange, int status, String requestId, String json, Map<String, String> extra) {
        Map<String, String> headers = new java.util.HashMap<>(extra);
        headers.put(Headers.REQUEST_ID, requestId);
        HttpReply.set(exchange, status, "application/json", json, headers);
    }
}
