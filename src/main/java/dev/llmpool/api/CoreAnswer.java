package dev.llmpool.api;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Brings the core route's answer (the JSON body and its status header) back onto a door's exchange, which keeps
 * its own headers and properties (gRPC's method name and call observer, a queue message's correlation). Doors use
 * {@code enrich} with this rather than {@code to}: an error the core route handled marks the exchange as handled,
 * and Camel would then end the door's route right there, before its reply step. Bound once as {@code coreAnswer}.
 */
public class CoreAnswer implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange original, Exchange answer) {
        if (answer == null) {
            return original;
        }
        original.getMessage().getHeaders().putAll(answer.getMessage().getHeaders());
        original.getMessage().setBody(answer.getMessage().getBody());
        return original;
    }
}
