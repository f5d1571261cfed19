package dev.llmpool.grpc;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.BindToRegistry;
import org.apache.camel.Processor;
import org.apache.camel.PropertyInject;

import dev.llmpool.config.ConfigStore;
import dev.llmpool.lifecycle.DaemonThreads;

/**
 * The gRPC API (proto/llmpool/v1/llmpool.proto, routes/grpc-api.camel.yaml): the grpc component with server
 * reflection, metadata readable by the route, and proto <-> the HTTP API's JSON around direct:infer (InferStream's
 * tokens come from the ensemble's race: see streaming/StreamedCall).
 */
public class GrpcBeans {

    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * Bound under the component's name, where Camel looks for a component first. Each call in flight holds one of
     * its worker threads (the route runs on the call's thread), as HTTP's workers do.
     */
    @BindToRegistry("grpc")
    public ReflectiveGrpcComponent grpcComponent(
            @PropertyInject(value = "pool.grpc.worker-threads", defaultValue = "400") int grpcWorkerThreads) {
        ThreadPoolExecutor grpcWorkers = new ThreadPoolExecutor(grpcWorkerThreads, grpcWorkerThreads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), DaemonThreads.named("llmpool-grpc"));
        grpcWorkers.allowCoreThreadTimeOut(true);
        return new ReflectiveGrpcComponent(grpcWorkers);
    }

    /** An interceptor camel-grpc finds in the registry: the call's metadata, for the route. */
    @BindToRegistry
    public GrpcCallMetadata grpcCallMetadata() {
        return new GrpcCallMetadata();
    }

    @BindToRegistry
    public GrpcRequestMapper grpcRequest(ConfigStore config) {
        return new GrpcRequestMapper(config, mapper);
    }

    /** Health: the credential, for an admin's report. */
    @BindToRegistry
    public Processor grpcCallHeaders() {
        return exchange -> GrpcRequestMapper.copyCallHeaders(exchange.getIn());
    }

    @BindToRegistry
    public GrpcReplyWriter grpcReply() {
        return new GrpcReplyWriter(mapper);
    }
}
