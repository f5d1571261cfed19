package dev.llmpool.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.ensemble.EnsembleProcessor;
import dev.llmpool.ensemble.Outcome;

/**
 * Shapes the ensemble's {@link Outcome} into the contract's 200 body; a request repeated with the same
 * Idempotency-Key gets the first response instead ({@link ReplayWriter}). The body comes from {@link OutcomeJson}:
 * a cached answer's is rendered once and kept with it.
 */
public class ResponseWriter implements Processor {

    private final ObjectMapper mapper;
    private final ReplayWriter replay = new ReplayWriter();

    public ResponseWriter(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) {
        if (exchange.getProperty(Headers.REPLAY) != null) {
            replay.process(exchange);
            return;
        }
        Outcome o = EnsembleProcessor.outcome(exchange);
        OutcomeJson json = exchange.getProperty(OutcomeJson.RENDERED, OutcomeJson.class);
        if (json == null) {
            json = OutcomeJson.render(o, mapper);
        }
        InferRequest req = exchange.getProperty(Headers.REQUEST, InferRequest.class);
        String requestId = exchange.getProperty(Headers.REQUEST_ID_PROPERTY, String.class);
        String body = json.body(requestId, req.task(), elapsedMillis(exchange),
                Boolean.TRUE.equals(exchange.getProperty(Headers.FROM_CACHE)));
        write(exchange, 200, requestId, body, null, null);
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
