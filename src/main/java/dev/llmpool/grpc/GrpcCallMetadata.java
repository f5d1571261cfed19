package dev.llmpool.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Makes a call's request metadata readable from the route: camel-grpc copies none of it into headers (only the
 * user agent and content type, into its own context keys). Bound in the registry, so camel-grpc's
 * auto-discovery of {@link ServerInterceptor}s installs it.
 */
public class GrpcCallMetadata implements ServerInterceptor {

    private static final Context.Key<Metadata> METADATA = Context.key("llmpool.grpc.metadata");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(METADATA, headers), call, headers, next);
    }

    /** The value of an ASCII metadata key of the current call, or null. */
    static String get(String key) {
        Metadata m = METADATA.get();
        return m == null ? null : m.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    }
}
