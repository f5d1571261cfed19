package dev.llmpool.grpc;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.Executor;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Processor;
import org.apache.camel.component.grpc.GrpcComponent;
import org.apache.camel.component.grpc.GrpcConfiguration;
import org.apache.camel.component.grpc.GrpcConsumer;
import org.apache.camel.component.grpc.GrpcEndpoint;
import org.apache.camel.component.grpc.server.DefaultBindableServiceFactory;
import org.apache.camel.component.grpc.server.GrpcHeaderInterceptor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * camel-grpc with server reflection, so that grpcurl and other tools discover the API. camel-grpc 4.17's consumer
 * builds a Netty server holding the route's service and nothing else: its BindableServiceFactory makes exactly
 * one service, a service definition cannot hold another service's methods, and interceptors only see methods the
 * server has. So this component's consumer builds that server itself, with camel-grpc's own method handling for
 * the route's service (DefaultBindableServiceFactory and its GrpcMethodHandler, as the stock consumer uses them),
 * the same interceptors, and grpc-services' reflection service (v1, and v1alpha for older tools). Only the
 * plaintext options the pool uses are carried over: TLS or JWT on the consumer would need the stock consumer.
 */
// The name finds camel-grpc's generated option configurers (DefaultComponent reads it from this annotation only).
@org.apache.camel.spi.annotations.Component("grpc")
public class ReflectiveGrpcComponent extends GrpcComponent {

    private final Executor callExecutor;

    /** @param callExecutor runs the calls (the stock server's default is an unbounded cached pool) */
    public ReflectiveGrpcComponent(Executor callExecutor) {
        this.callExecutor = callExecutor;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        GrpcEndpoint parsed = (GrpcEndpoint) super.createEndpoint(uri, remaining, parameters);
        return new ReflectiveEndpoint(uri, this, parsed.getConfiguration(), callExecutor);
    }

    static final class ReflectiveEndpoint extends GrpcEndpoint {
        private final Executor callExecutor;

        ReflectiveEndpoint(String uri, GrpcComponent component, GrpcConfiguration config, Executor callExecutor) {
            super(uri, component, config);
            this.callExecutor = callExecutor;
        }

        @Override
        public Consumer createConsumer(Processor processor) throws Exception {
            ReflectiveConsumer consumer = new ReflectiveConsumer(this, processor, callExecutor);
            configureConsumer(consumer);
            return consumer;
        }
    }

    static final class ReflectiveConsumer extends DefaultConsumer {
        private static final Logger LOG = LoggerFactory.getLogger(ReflectiveConsumer.class);

        private final GrpcEndpoint endpoint;
        private final Executor callExecutor;
        private Server server;

        ReflectiveConsumer(GrpcEndpoint endpoint, Processor processor, Executor callExecutor) {
            super(endpoint, processor);
            this.endpoint = endpoint;
            this.callExecutor = callExecutor;
        }

        @Override
        protected void doStart() throws Exception {
            super.doStart();
            GrpcConfiguration cfg = endpoint.getConfiguration();
            // The stock consumer serves only as the method handler's link to this route; its own server never starts.
            GrpcConsumer routeLink = new GrpcConsumer(endpoint, getProcessor(), cfg);
            BindableService service = new DefaultBindableServiceFactory().createBindableService(routeLink);
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(cfg.getHost(), cfg.getPort()))
                    .addService(CallGuard.guard(ServerInterceptors.intercept(service, new GrpcHeaderInterceptor())))
                    .addService(ProtoReflectionServiceV1.newInstance())
                    .addService(legacyReflection())
                    .executor(callExecutor)
                    .maxInboundMessageSize(cfg.getMaxMessageSize())
                    .maxInboundMetadataSize(cfg.getMaxInboundMetadataSize());
            for (ServerInterceptor interceptor : cfg.getServerInterceptors()) {
                builder.intercept(interceptor);
            }
            server = builder.build().start();
            LOG.info("event=grpc_server_started port={} service={} reflection=true", server.getPort(), cfg.getService());
        }

        @Override
        protected void doStop() throws Exception {
            if (server != null) {
                // no new calls; those in flight finish within Camel's shutdown timeout (GracefulShutdown sets it to the
                // longest request deadline)
                server.shutdown();
                var shutdownStrategy = getEndpoint().getCamelContext().getShutdownStrategy();
                if (!server.awaitTermination(shutdownStrategy.getTimeout(), shutdownStrategy.getTimeUnit())) {
                    server.shutdownNow();
                }
                server = null;
            }
            super.doStop();
        }

        @SuppressWarnings("deprecation") // v1alpha: what grpcurl before 1.8.8 and some IDEs still ask for
        private static BindableService legacyReflection() {
            return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
        }
    }
}
