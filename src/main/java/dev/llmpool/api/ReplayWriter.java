package dev.llmpool.api;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a request repeated with the same Idempotency-Key and body: the first response's body, byte for byte
 * (its request_id included), marked with the header {@code Idempotent-Replayed: true}. The {@code X-Request-Id}
 * header echoes this request's id, as for any request.
 */
public class ReplayWriter implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(ReplayWriter.class);

    @Override
    public void process(Exchange exchange) {
        RequestState state = RequestState.of(exchange);
        String requestId = state.requestId();
        LOG.info("event=idempotent_replay request_id={} original_request_id={}", requestId,
                state.replayRequestId());
        ResponseWriter.write(exchange, 200, requestId, state.replay(),
                "Idempotent-Replayed", "true");
    }
}
