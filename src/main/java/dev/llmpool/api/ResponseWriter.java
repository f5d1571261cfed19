package dev.llmpool.api;

import java.io.IOException;
import java.io.StringWriter;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.ensemble.EnsembleProcessor;
import dev.llmpool.ensemble.Outcome;

/**
 * Shapes the ensemble's {@link Outcome} into the contract's 200 body; a request repeated with the same
 * Idempotency-Key gets the first response instead ({@link ReplayWriter}). The body is written field by field
 * straight to text, without building a JSON tree first.
 */
public class ResponseWriter implements Processor {

    private final ObjectMapper mapper;
    private final ReplayWriter replay = new ReplayWriter();

    public ResponseWriter(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws IOException {
        if (exchange.getProperty(Headers.REPLAY) != null) {
            replay.process(exchange);
            return;
        }
        Outcome o = EnsembleProcessor.outcome(exchange);
        InferRequest req = exchange.getProperty(Headers.REQUEST, InferRequest.class);
        String requestId = exchange.getProperty(Headers.REQUEST_ID_PROPERTY, String.class);
        StringWriter out = new StringWriter(384);
        try (JsonGenerator g = mapper.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("request_id", requestId);
            g.writeStringField("task", req.task());
            g.writeStringField("content", o.winner().content());
            g.writeStringField("winner_model", o.winner().model());
            g.writeStringField("winner_provider", o.winner().provider());
            g.writeStringField("strategy_used", o.strategy().name());
            g.writeArrayFieldStart("models_queried");
            for (String model : o.modelsQueried()) {
                g.writeString(model);
            }
            g.writeEndArray();
            g.writeNumberField("duration_ms", elapsedMillis(exchange));
            g.writeBooleanField("from_cache", Boolean.TRUE.equals(exchange.getProperty(Headers.FROM_CACHE)));
            g.writeBooleanField("hedged", o.hedged());
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", o.promptTokens());
            g.writeNumberField("completion_tokens", o.completionTokens());
            g.writeEndObject();
            if (o.votes() != null) {
                g.writeObjectFieldStart("votes");
                for (Map.Entry<String, Integer> vote : o.votes().entrySet()) {
                    g.writeNumberField(vote.getKey(), vote.getValue());
                }
                g.writeEndObject();
            }
            if (o.agreement() != null) {
                g.writeNumberField("agreement", o.agreement());
            }
            if (o.judge() != null) {
                g.writeFieldName("judge");
                g.writeObject(o.judge());
            }
            g.writeEndObject();
        }
        write(exchange, 200, requestId, out.toString(), null, null);
    }

    static long elapsedMillis(Exchange exchange) {
        Long started = exchange.getProperty(Headers.STARTED_NANOS, Long.class);
        return started == null ? 0 : (System.nanoTime() - started) / 1_000_000;
    }

    /** A JSON reply carrying the request id, and one extra header if {@code header} is not null. */
    static void write(Exchange exchange, int status, String requestId, String json, String header, String value) {
        HttpReply.set(exchange, status, "application/json", json, header, value);
        exchange.getMessage().setHeader(Headers.REQUEST_ID, requestId);
    }
}
