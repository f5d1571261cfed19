package dev.llmpool.grpc;

import java.io.InputStream;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.llmpool.logging.LogText;

/**
 * A bad request message is the caller's mistake: it gets INVALID_ARGUMENT and the log one WARN line. Without
 * this, grpc-java parses the message outside any handler of ours, and a truncated or garbage message, invalid UTF-8
 * in a string or a {@code format} nested past protobuf's recursion limit became UNKNOWN "Application error
 * processing RPC" with a SEVERE stack trace. So each method's request parser is wrapped to give null for a message
 * it cannot read, and this interceptor answers a null message with INVALID_ARGUMENT instead of passing it on.
 */
final class CallGuard implements ServerInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(CallGuard.class);

    /** The service with its request parsers made safe and this guard in front of its handlers. */
    static ServerServiceDefinition guard(ServerServiceDefinition service) {
        ServerServiceDefinition intercepted = ServerInterceptors.intercept(service, new CallGuard());
        ServiceDescriptor old = intercepted.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(old.getName())
                .setSchemaDescriptor(old.getSchemaDescriptor());
        java.util.List<ServerMethodDefinition<?, ?>> methods = new java.util.ArrayList<>();
        for (ServerMethodDefinition<?, ?> m : intercepted.getMethods()) {
            ServerMethodDefinition<?, ?> safe = safeParsing(m);
            descriptor.addMethod(safe.getMethodDescriptor());
            methods.add(safe);
        }
        ServerServiceDefinition.Builder rebuilt = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(rebuilt::addMethod);
        return rebuilt.build();
    }

    private static <Q, R> ServerMethodDefinition<Q, R> safeParsing(ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> md = method.getMethodDescriptor();
        MethodDescriptor.Marshaller<Q> parser = md.getRequestMarshaller();
        MethodDescriptor.Marshaller<Q> safe = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(Q value) {
                return parser.stream(value);
            }

            @Override
            public Q parse(InputStream stream) {
                try {
                    return parser.parse(stream);
                } catch (RuntimeException unreadable) {
                    LOG.warn("event=grpc_bad_message method={} reason=\"{}\"", md.getFullMethodName(),
                            LogText.of(unreadable.getMessage()));
                    return null;  // CallGuard answers it
                }
            }
        };
        return ServerMethodDefinition.create(md.toBuilder(safe, md.getResponseMarshaller()).build(),
                method.getServerCallHandler());
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> handler = next.startCall(call, headers);
        return new SimpleForwardingServerCallListener<>(handler) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (refused) {
                    return;
                }
                if (message == null) {
                    refused = true;
                    call.close(Status.INVALID_ARGUMENT.withDescription(
                            "the request is not a valid " + call.getMethodDescriptor().getFullMethodName()
                                    + " message (truncated, not protobuf, invalid UTF-8 or nested too deeply)"),
                            new Metadata());
                    return;
                }
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }
}
