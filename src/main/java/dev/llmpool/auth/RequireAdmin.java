package dev.llmpool.auth;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * A route's first step where only an admin tenant ({@code pool.tenants.<t>.admin=true}) may go on when auth is on:
 * 401 without a valid credential, 403 for another tenant. With auth off (loopback only) everyone goes on. Bound as
 * {@code requireAdmin}: {@code /metrics} uses it, and any operator route can put it first.
 */
public final class RequireAdmin implements Processor {

    private final Authenticator authenticator;

    public RequireAdmin(Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    @Override
    public void process(Exchange exchange) {
        if (!authenticator.isAdmin(exchange.getIn())) {
            throw Authenticator.forbidden("this needs an admin tenant");
        }
    }
}
