package dev.llmpool.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

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
        RequestState state = RequestState.of(exchange);
        if (state.replay() != null) {
            replay.process(exchange);
            return;
        }
        OutcomeJson json = state.rendered();
        if (json == null) {
            json = OutcomeJson.render(state.outcome(), mapper);
        }
        InferRequest req = state.request();
        String requestId = state.requestId();
        String body = json.body(requestId, req.task(), elapsedMillis(state), state.fromCache());
        write(exchange, 200, requestId, body, null, null);
    }

    static long elapsedMillis(RequestState state) {
        return state.started() ? (System.nanoTime() - state.startedNanos()) / 1_000_000 : 0;
    }

    /** A JSON reply carrying the request id, and one extra header if {@code header} is not null. */
    static void write(Exchange exchange, int status, String requestId, String json, String header, String value) {
        HttpReply.set(exchange, status, "application/json", json, header, value);
        exchange.getMessage().setHeader(Headers.REQUEST_ID, requestId);
    }
}
