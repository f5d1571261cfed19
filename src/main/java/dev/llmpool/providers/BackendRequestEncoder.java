package dev.llmpool.providers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Writes a {@link ProviderCall} as the backend's chat request (a Vert.x buffer: what camel-vertx-http sends without
 * a conversion). The provider route's endpoint knows the backend's URL; {@link BackendBinding} gives the call its
 * timeout.
 */
public class BackendRequestEncoder implements Processor {


    private final ObjectMapper mapper;

    public BackendRequestEncoder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws JsonProcessingException {
        ProviderCall call = exchange.getProperty(CallProperties.CALL, ProviderCall.class);
        Dialect dialect = Dialect.of(call.provider().kind());
        // A fresh message: nothing of the caller's request (headers, Authorization) may reach a backend.
        exchange.getIn().removeHeaders("*");
        exchange.getIn().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getIn().setBody(Buffer.buffer(mapper.writeValueAsBytes(dialect.chatRequest(mapper, call))));
        exchange.setProperty(CallProperties.SENT_NANOS, System.nanoTime());
    }
}
