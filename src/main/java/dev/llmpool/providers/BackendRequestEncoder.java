package dev.llmpool.providers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Writes a {@link ProviderCall} as the backend's chat request and names the endpoint to send it to, with a
 * response timeout taken from what is left of the request's deadline.
 */
public class BackendRequestEncoder implements Processor {

    /** Exchange property read by the provider route's toD. */
    public static final String BACKEND_URI = "llmpool.backendUri";
    static final String SENT_NANOS = "llmpool.sentNanos";

    private final ObjectMapper mapper;

    public BackendRequestEncoder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws JsonProcessingException {
        ProviderCall call = exchange.getProperty(ProviderCall.PROPERTY, ProviderCall.class);
        long remaining = Math.max(1, call.remainingMillis());
        Dialect dialect = Dialect.of(call.provider().kind());
        // A fresh message: nothing of the caller's request (headers, Authorization) may reach a backend.
        exchange.getIn().removeHeaders("*");
        exchange.getIn().setHeader(Exchange.HTTP_METHOD, "POST");
        exchange.getIn().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getIn().setBody(mapper.writeValueAsBytes(dialect.chatRequest(mapper, call)));
        exchange.setProperty(BACKEND_URI, call.provider().url() + dialect.chatPath()
                + "?throwExceptionOnFailure=false&responseTimeout=" + BackendTimeouts.roundUp(remaining));
        exchange.setProperty(SENT_NANOS, System.nanoTime());
    }
}
