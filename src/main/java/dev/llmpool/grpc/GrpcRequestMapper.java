package dev.llmpool.grpc;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.grpc.GrpcConstants;

import dev.llmpool.api.ApiException;
import dev.llmpool.api.CallerLink;
import dev.llmpool.api.Headers;
import dev.llmpool.api.RequestState;
import dev.llmpool.config.ConfigStore;
import dev.llmpool.grpc.v1.InferRequest;
import dev.llmpool.grpc.v1.Strategy;
import dev.llmpool.streaming.ChunkSink;

/**
 * Turns an Infer or InferStream call into what {@code direct:infer} reads from HTTP: the request as the HTTP
 * API's JSON body, the call's metadata as the HTTP headers ({@code x-request-id}, {@code authorization},
 * {@code x-api-key}, {@code idempotency-key}), and the client's gRPC deadline as {@code deadline_ms} (the tighter of the two,
 * capped at {@code pool.limits.max-deadline-ms}). Validation stays in the core route: an invalid field is passed
 * through as it is, so that the caller gets the same error as over HTTP. For InferStream it also hands the core
 * route a {@link ChunkSink} onto the call. Runs on the call's thread, where its {@link Context} is current.
 */
public class GrpcRequestMapper implements Processor {

    static final String INFER_STREAM = "inferStream";

    private final ConfigStore config;
    private final ObjectMapper mapper;

    public GrpcRequestMapper(ConfigStore config, ObjectMapper mapper) {
        this.config = config;
        this.mapper = mapper;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void process(Exchange exchange) throws Exception {
        RequestState state = RequestState.of(exchange);
        InferRequest req = exchange.getIn().getBody(InferRequest.class);
        ObjectNode json = toJson(req);
        applyDeadline(json, Context.current().getDeadline());

        var in = exchange.getIn();
        in.setBody(mapper.writeValueAsBytes(json));
        in.setHeader(Exchange.CONTENT_TYPE, "application/json");
        copyCallHeaders(in);
        if (INFER_STREAM.equals(exchange.getProperty(GrpcReplyWriter.METHOD, String.class))) {
            StreamObserver<Object> observer = exchange.getProperty(GrpcConstants.GRPC_RESPONSE_OBSERVER, StreamObserver.class);
            state.setChunkSink(new GrpcChunkSink(observer, Context.current()));
        } else {
            state.setCallerLink(callerLink(Context.current()));
        }
    }

    /**
     * A unary call's caller: gone when the client cancels or disconnects, so that the race ends its backend calls as
     * InferStream's does. A passed deadline is not a caller gone: the race's own deadline ends the request as a 504.
     */
    private static CallerLink callerLink(Context call) {
        CallerLink link = new CallerLink();
        call.addListener(context -> {
            if (!GrpcChunkSink.deadlinePassed(context)) {
                link.gone();
            }
        }, Runnable::run);
        return link;
    }

    /** The call's metadata that the core route reads as HTTP headers (the credential among them). */
    public static void copyCallHeaders(org.apache.camel.Message in) {
        for (Map.Entry<String, String> h : Map.of("x-request-id", Headers.REQUEST_ID, "authorization", "Authorization",
                "x-api-key", "x-api-key", "idempotency-key", "Idempotency-Key", "traceparent", "traceparent",
                "tracestate", "tracestate").entrySet()) {
            String value = GrpcCallMetadata.get(h.getKey());
            if (value != null) {
                in.setHeader(h.getValue(), value);
            }
        }
    }

    /** Field by field, so that absent stays absent (task defaults apply) and the names are the HTTP API's. */
    ObjectNode toJson(InferRequest req) throws java.io.IOException {
        ObjectNode json = mapper.createObjectNode();
        json.put("task", req.getTask());
        json.put("prompt", req.getPrompt());
        if (req.hasMaxTokens()) {
            json.put("max_tokens", req.getMaxTokens());
        }
        if (req.hasDeadlineMs()) {
            json.put("deadline_ms", req.getDeadlineMs());
        }
        if (req.getStrategy() != Strategy.STRATEGY_UNSPECIFIED) {
            json.put("strategy", req.getStrategy().name()); // UNRECOGNIZED (an unknown number) is rejected by the parser
        }
        if (req.hasTemperature()) {
            json.put("temperature", req.getTemperature());
        }
        if (req.hasFormat()) {
            json.set("format", format(req.getFormat()));
        }
        if (req.hasCache()) {
            json.put("cache", req.getCache());
        }
        if (req.hasTopP()) {
            json.put("top_p", req.getTopP());
        }
        if (req.getStopCount() > 0) { // a repeated field has no presence: none given is left out, as over HTTP
            ArrayNode stop = json.putArray("stop");
            req.getStopList().forEach(stop::add);
        }
        if (req.hasSeed()) {
            json.put("seed", req.getSeed());
        }
        return json;
    }

    /** The client's deadline counts when it is the tighter one; a deadline_ms the parser will reject is left as is. */
    void applyDeadline(ObjectNode json, Deadline deadline) {
        if (deadline == null) {
            return;
        }
        long max = config.current().limits().maxDeadlineMs();
        long clientMs = Math.min(max, Math.max(1, deadline.timeRemaining(TimeUnit.MILLISECONDS)));
        JsonNode given = json.get("deadline_ms");
        boolean validGiven = given != null && given.asLong() > 0 && given.asLong() <= max;
        if (given == null || (validGiven && clientMs < given.asLong())) {
            json.put("deadline_ms", clientMs);
        }
    }

    /** google.protobuf.Value as plain JSON; numbers come out as doubles, so 3.0 goes back to 3 (JSON schemas). */
    private JsonNode format(com.google.protobuf.Value value) throws java.io.IOException {
        try {
            return integral(mapper.readTree(JsonFormat.printer().print(value)));
        } catch (InvalidProtocolBufferException e) {
            throw ApiException.invalid("format", "format must be \"json\" or a JSON schema object");
        }
    }

    private JsonNode integral(JsonNode n) {
        if (n.isDouble() && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 1e15) {
            return mapper.getNodeFactory().numberNode(n.longValue());
        }
        if (n.isObject()) {
            ObjectNode o = (ObjectNode) n;
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                o.set(k, integral(o.get(k)));
            }
        } else if (n.isArray()) {
            ArrayNode a = (ArrayNode) n;
            for (int i = 0; i < a.size(); i++) {
                a.set(i, integral(a.get(i)));
            }
        }
        return n;
    }
}
