package dev.llmpool.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.logging.LogText;

/**
 * Turns any failure into the contract's error body {@code {"error":{code,message,field,...},"request_id"}}.
 * An {@link ApiException} keeps its status; anything else is a 500 whose stack trace goes to the log
 * (with the request id), never to the caller.
 */
public class ErrorResponder implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponder.class);

    private final ObjectMapper mapper;

    public ErrorResponder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws JsonProcessingException {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String requestId = RequestState.of(exchange).requestId();
        if (requestId == null) {
            requestId = RequestContextProcessor.newRequestId();
        }
        ApiException error = cause instanceof ApiException api ? api : null;
        if (error == null) {
            LOG.error("event=internal_error request_id={} route={}", requestId, exchange.getFromRouteId(), cause);
            error = new ApiException(500, "internal_error", "internal error; see the service log for request "
                    + requestId, null);
        } else {
            LOG.info("event=request_failed request_id={} status={} code={} field={} message=\"{}\"", requestId,
                    error.status(), error.code(), LogText.of(error.field()), LogText.of(error.getMessage()));
        }
        ObjectNode body = mapper.createObjectNode();
        ObjectNode e = body.putObject("error");
        e.put("code", error.code());
        e.put("message", error.getMessage());
        if (error.field() != null) {
            e.put("field", error.field());
        }
        error.details().forEach((k, v) -> e.set(k, mapper.valueToTree(v)));
        body.put("request_id", requestId);
        boolean retryLater = error.status() == 503 || error.status() == 429;
        ResponseWriter.write(exchange, error.status(), requestId, mapper.writeValueAsString(body),
                retryLater ? "Retry-After" : null, retryLater ? "1" : null);
        error.headers().forEach(exchange.getMessage()::setHeader);  // e.g. the real Retry-After of a 429
    }
}
