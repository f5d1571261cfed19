package dev.llmpool.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Predicate;
import org.apache.camel.Processor;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.Registry;

import dev.llmpool.cache.ExactRepeats;
import dev.llmpool.config.ConfigStore;

/**
 * The task API (routes/http-api.camel.yaml, routes/infer.camel.yaml) and the HTTP port every platform-http route is
 * served on: our own Vert.x front (issues 7, 13, 23). A request holds no thread while its backends answer
 * (FrontConsumer runs the route on the event loop), and what no route should see is refused before any route runs, in
 * the path's API shape (HttpFront).
 */
public class ApiBeans {

    private final ObjectMapper mapper = new ObjectMapper();

    /** Exact repeats of cached requests are answered before any route when the cache binds them (cache/CacheBeans). */
    @BindToRegistry
    public HttpFront httpFront(ConfigStore config, Registry registry) {
        return new HttpFront(() -> config.current().limits().maxBodyBytes(),
                registry.lookupByNameAndType("exactRepeats", ExactRepeats.class));
    }

    /** Where platform-http looks for its engine first. */
    @BindToRegistry("platform-http-engine")
    public FrontEngine frontEngine(HttpFront front,
                                   @PropertyInject(value = "pool.http.port", defaultValue = "7071") int httpPort) {
        return new FrontEngine(front, httpPort);
    }

    /** HTTP server limits (issue 23, docs/configuration.md "HTTP server limits"; restart to change). */
    @BindToRegistry
    public FrontServer frontServer(CamelContext camel, HttpFront front,
            @PropertyInject(value = "pool.http.port", defaultValue = "7071") int httpPort,
            // event loops serving the HTTP port; 0 = one per core
            @PropertyInject(value = "pool.http.event-loops", defaultValue = "0") int eventLoops,
            @PropertyInject(value = "pool.http.max-header-bytes", defaultValue = "8192") int maxHeaderBytes,
            @PropertyInject(value = "pool.http.max-line-bytes", defaultValue = "4096") int maxLineBytes,
            @PropertyInject(value = "pool.http.server-idle-timeout-ms", defaultValue = "60000") long idleTimeoutMs,
            @PropertyInject(value = "pool.http.header-timeout-ms", defaultValue = "10000") long headerTimeoutMs,
            @PropertyInject(value = "pool.http.max-client-connections", defaultValue = "10000") int maxClientConnections) {
        FrontLimits limits = new FrontLimits(maxHeaderBytes, maxLineBytes, idleTimeoutMs, headerTimeoutMs,
                maxClientConnections);
        // pool.http.host when set, else camel.server.host (kept for existing configurations), else loopback
        String httpHost = camel.getPropertiesComponent().resolveProperty("pool.http.host")
                .or(() -> camel.getPropertiesComponent().resolveProperty("camel.server.host")).orElse("127.0.0.1");
        return new FrontServer(front, httpHost, httpPort, eventLoops, limits);
    }

    @BindToRegistry
    public RequestContextProcessor requestContext(ConfigStore config) {
        return new RequestContextProcessor(config);
    }

    /** The routes' choices over the request's state ({@code ref: notAnswered} in routes/infer.camel.yaml, the Ollama door). */
    @BindToRegistry
    public Predicate notAnswered() {
        return RequestState.NOT_ANSWERED;
    }

    /** {@code ref: servedByJudge} in routes/infer.camel.yaml. */
    @BindToRegistry
    public Predicate servedByJudge() {
        return RequestState.SERVED_BY_JUDGE;
    }

    /** {@code ref: streamedOverHttp} in routes/http-api.camel.yaml. */
    @BindToRegistry
    public Predicate streamedOverHttp() {
        return RequestState.STREAMED_OVER_HTTP;
    }

    @BindToRegistry
    public RequestParser requestParser() {
        return new RequestParser(mapper);
    }

    @BindToRegistry
    public ResponseWriter responseWriter() {
        return new ResponseWriter(mapper);
    }

    @BindToRegistry
    public ErrorResponder errorResponder() {
        return new ErrorResponder(mapper);
    }

    /** Every door's way into direct:infer's answer: gRPC, OpenAI, Ollama, queues. */
    @BindToRegistry
    public CoreAnswer coreAnswer() {
        return new CoreAnswer();
    }

    /** "stream": true on /v1/infer. */
    @BindToRegistry
    public InferStream inferStream() {
        return new InferStream(mapper);
    }

    @BindToRegistry
    public Processor inferStreamEnd(InferStream inferStream) {
        return inferStream.end();
    }
}
