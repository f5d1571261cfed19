package dev.llmpool.bench;

import java.util.concurrent.TimeUnit;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The benchmark's reference gateway: the cheapest pair of legs a JVM gateway on Vert.x can have, to show what the
 * pool's throughput compares with. Plain Vert.x core (no Vert.x Web, no Camel, no JSON): it reads the request,
 * sends one fixed Ollama {@code /api/chat} call (the body the pool sends, {@link Bench#directBody()}) to the
 * backend and answers with the backend's body as it is. Whatever a real gateway does besides costs more than this.
 *
 * <p>Set up as the service is by default: one HTTP server per core (one verticle per event loop, all on the same
 * port, the kernel spreading connections), each with its own keep-alive client, so a request and its backend call
 * stay on one event loop; Linux's epoll when Vert.x can load it.
 *
 * <p>A port given as {@code <listenPort>:<backendPort>:stream} is the streaming reference instead: it forwards the
 * caller's request as it is (path and body) and pipes the backend's chunks to the caller as they arrive, so its
 * added time to first token is what one more hop costs a stream on this machine.
 *
 * <p>Usage: {@code BareProxy <eventLoops> <listenPort>:<backendPort>[:stream] ...} (one port per backend); prints
 * {@code READY} once listening, and
 * exits when its standard input closes (so it never outlives the benchmark) or after {@code -Dbench.maxSeconds}.
 */
public final class BareProxy {

    private static final Buffer CALL = Buffer.buffer(Bench.directBody());

    private BareProxy() {
    }

    public static void main(String[] args) throws Exception {
        int eventLoops = Integer.parseInt(args[0]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops).setWorkerPoolSize(1)
                .setPreferNativeTransport(true).setBlockedThreadCheckInterval(60_000));
        for (int i = 1; i < args.length; i++) {
            String[] leg = args[i].split(":");
            int listenPort = Integer.parseInt(leg[0]);
            int backendPort = Integer.parseInt(leg[1]);
            boolean stream = leg.length > 2 && leg[2].equals("stream");
            vertx.deployVerticle(() -> new Leg(listenPort, backendPort, stream),
                            new DeploymentOptions().setInstances(eventLoops))
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        // the transport in the READY line: an odd figure is explained first by NIO instead of epoll
        System.out.println("READY " + eventLoops + " event loops, native transport " + vertx.isNativeTransportEnabled());
        System.out.flush();
        FastBackend.exitWithParent(vertx);
    }

    /** One event loop's server and client: its connections in and out are served by the same thread. */
    private static final class Leg extends AbstractVerticle {

        private final int listenPort;
        private final int backendPort;
        private final boolean stream;

        Leg(int listenPort, int backendPort, boolean stream) {
            this.listenPort = listenPort;
            this.backendPort = backendPort;
            this.stream = stream;
        }

        @Override
        public void start(Promise<Void> started) {
            // 128 connections per event loop: more than the benchmark's 64 clients, so no request waits for one
            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                    new PoolOptions().setHttp1MaxSize(128));
            RequestOptions call = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                    .setPort(backendPort).setURI("/api/chat").putHeader("Content-Type", "application/json");
            vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(listenPort)
                            .setAcceptBacklog(8192).setTcpNoDelay(true))
                    .requestHandler(req -> {
                        if (stream) {
                            pipe(req, client);
                        } else {
                            proxy(req, client, call);
                        }
                    })
                    .listen()
                    .<Void>mapEmpty()
                    .onComplete(started);
        }

        private static void proxy(HttpServerRequest req, HttpClient client, RequestOptions call) {
            req.body()
                    .compose(ignored -> client.request(call))
                    .compose(backend -> backend.send(CALL))
                    // the backend's status passes through, so a failing backend shows as wrk's non-2xx errors
                    .compose(answer -> answer.body().onSuccess(body -> req.response()
                            .setStatusCode(answer.statusCode()).putHeader("Content-Type", "application/json").end(body)))
                    .onFailure(e -> fail(req));
        }

        /** The caller's request passed on as it is; the backend's chunks written to the caller as they come. */
        private void pipe(HttpServerRequest req, HttpClient client) {
            RequestOptions call = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                    .setPort(backendPort).setURI(req.uri()).putHeader("Content-Type", "application/json");
            req.body()
                    .compose(body -> client.request(call).compose(backend -> backend.send(body)))
                    .compose(answer -> {
                        req.response().setStatusCode(answer.statusCode()).setChunked(true)
                                .putHeader("Content-Type", answer.getHeader("Content-Type"));
                        return answer.pipeTo(req.response());
                    })
                    .onFailure(e -> fail(req));
        }

        private static void fail(HttpServerRequest req) {
            if (!req.response().ended() && !req.response().headWritten()) {
                req.response().setStatusCode(502).end();
            } else if (!req.response().ended()) {
                req.connection().close();
            }
        }
    }
}
