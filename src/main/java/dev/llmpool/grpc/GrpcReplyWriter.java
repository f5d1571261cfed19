package dev.llmpool.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.grpc.GrpcConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.api.RequestState;
import dev.llmpool.grpc.v1.HealthReply;
import dev.llmpool.grpc.v1.InferReply;
import dev.llmpool.grpc.v1.InferStreamReply;

/**
 * Answers the call from the core route's answer (JSON body + HTTP status): Infer gets the {@link InferReply},
 * InferStream the answer as one chunk when it was not streamed, then the final message; Health the
 * {@link HealthReply} (OK even when DOWN: the report is the answer). An error body becomes a gRPC status
 * ({@link GrpcStatusMapping}). The route controls the observer (camel-grpc's own would send INTERNAL with the
 * exception's message), so this is the one place that completes every call, also from the error handler.
 */
public class GrpcReplyWriter implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcReplyWriter.class);
    private static final JsonFormat.Parser PROTO = JsonFormat.parser().ignoringUnknownFields();
    /** Exchange property: the called method (Java name: infer, inferStream, health), set first by the route. */
    static final String METHOD = "llmpool.grpcMethod";

    private final ObjectMapper mapper;

    public GrpcReplyWriter(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void process(Exchange exchange) {
        StreamObserver<Object> observer = exchange.getProperty(GrpcConstants.GRPC_RESPONSE_OBSERVER, StreamObserver.class);
        String requestId = RequestState.of(exchange).requestId();
        try {
            String body = exchange.getMessage().getBody(String.class);
            JsonNode json = mapper.readTree(body == null ? "{}" : body);
            int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class);
            if (json.has("error")) {
                observer.onError(GrpcStatusMapping.toException(status, json,
                        exchange.getMessage().getHeader("Retry-After", 1L, Long.class)));
                return;
            }
            String method = exchange.getProperty(METHOD, String.class);
            if ("health".equals(method)) {
                HealthReply.Builder health = HealthReply.newBuilder();
                PROTO.merge(body, health);
                observer.onNext(health.build());
            } else {
                InferReply.Builder reply = InferReply.newBuilder();
                PROTO.merge(body, reply);
                if (GrpcRequestMapper.INFER_STREAM.equals(method)) {
                    stream((GrpcChunkSink) RequestState.of(exchange).chunkSink(), reply.build());
                } else {
                    observer.onNext(reply.build());
                }
            }
            observer.onCompleted();
        } catch (io.grpc.StatusRuntimeException | IllegalStateException gone) {
            LOG.debug("event=grpc_call_already_closed request_id={} reason=\"{}\"", requestId, gone.getMessage());
        } catch (Exception e) {
            // Not the contract's answer (a bug), or the call is gone: never leave a call open, never leak details.
            LOG.error("event=grpc_reply_failed request_id={}", requestId, e);
            try {
                observer.onError(Status.INTERNAL.withDescription("internal error; see the service log for request "
                        + requestId).asRuntimeException());
            } catch (RuntimeException closed) {
                LOG.debug("event=grpc_call_already_closed request_id={}", requestId);
            }
        }
    }

    private static void stream(GrpcChunkSink sink, InferReply reply) {
        if (sink.sent() == 0 && !reply.getContent().isEmpty()) {
            sink.chunk(reply.getContent()); // decided on whole answers (or cached): the answer in one chunk
        }
        sink.send(InferStreamReply.newBuilder().setDone(reply).build());
    }
}
