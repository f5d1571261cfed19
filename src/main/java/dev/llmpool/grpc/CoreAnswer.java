package dev.llmpool.grpc;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Brings the core route's answer (the JSON body and its status header) back onto the gRPC exchange, which
 * keeps its own headers (the method name) and properties (the call's observer). The gRPC route uses
 * {@code enrich} with this rather than {@code to}: an error the core route handled marks the exchange as handled,
 * and Camel would then end the gRPC route right there, before its reply step.
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
