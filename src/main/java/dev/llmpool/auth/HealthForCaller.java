package dev.llmpool.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.ApiException;

/**
 * {@code GET /health} (and gRPC Health) as the caller may see it: with auth on, only {@code {"status"}} unless the
 * caller presents an admin tenant's credential (no providers, URLs or errors for anyone else); with auth off, the
 * whole report. The status code is the report's either way.
 */
public final class HealthForCaller implements Processor {

    private final Authenticator authenticator;
    private final Processor report;
    private final ObjectMapper mapper;

    public HealthForCaller(Authenticator authenticator, Processor report, ObjectMapper mapper) {
        this.authenticator = authenticator;
        this.report = report;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        boolean whole = isAdmin(exchange);
        report.process(exchange);
        if (!whole) {
            JsonNode body = mapper.readTree(exchange.getMessage().getBody(String.class));
            exchange.getMessage().setBody(mapper.createObjectNode().set("status", body.path("status")).toString());
        }
    }

    /** Anyone may ask: a caller without a valid credential gets the reduced report, not a 401. */
    private boolean isAdmin(Exchange exchange) {
        try {
            return authenticator.isAdmin(exchange.getIn());
        } catch (ApiException notAdmin) {
            return false;
        }
    }
}
