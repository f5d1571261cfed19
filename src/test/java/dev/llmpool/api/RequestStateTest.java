package dev.llmpool.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** The request's state is one object per request, and the routes' choices read it by name. */
class RequestStateTest {

    @Test
    void oneObjectPerRequestSharedByItsExchangeCopies() {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        RequestState state = RequestState.of(exchange);
        assertSame(state, RequestState.of(exchange));
        assertSame(state, RequestState.of(exchange.copy()), "a copy (enrich, a JUDGE candidate) is the same request");
    }

    @Test
    void theRoutesRefPredicatesReadTheState() {
        CamelContext camel = new DefaultCamelContext();
        camel.getRegistry().bind("notAnswered", RequestState.NOT_ANSWERED);
        camel.getRegistry().bind("streamedOverHttp", RequestState.STREAMED_OVER_HTTP);
        Exchange exchange = new DefaultExchange(camel);
        Predicate notAnswered = camel.resolveLanguage("ref").createPredicate("notAnswered");
        Predicate streamed = camel.resolveLanguage("ref").createPredicate("streamedOverHttp");
        assertTrue(notAnswered.matches(exchange));
        assertFalse(streamed.matches(exchange));
        RequestState.of(exchange).setAnswered(true);
        assertFalse(notAnswered.matches(exchange));
    }
}
