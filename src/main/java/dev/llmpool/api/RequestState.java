package dev.llmpool.api;

import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

import dev.llmpool.auth.Principal;
import dev.llmpool.cache.ExactRepeats;
import dev.llmpool.cache.InFlight;
import dev.llmpool.config.PoolConfig;
import dev.llmpool.ensemble.Outcome;
import dev.llmpool.ensemble.UsageTotal;
import dev.llmpool.routing.Plan;
import dev.llmpool.streaming.ChunkSink;
import dev.llmpool.streaming.HttpChunkStream;
import dev.llmpool.tracing.RequestTrace;

/**
 * What one request carries from its door to its answer, as typed fields in one object: the only exchange property
 * the request's steps share ({@value #PROPERTY}). Processors reach it with {@link #of(Exchange)}; the routes' choices
 * use the predicates below by name ({@link ApiBeans} binds them) with the {@code ref} language
 * ({@code ref: notAnswered}), a plain method call. The simple language could read
 * {@code ${exchangeProperty.llmpoolRequest.answered}} too, but its OGNL call costs milliseconds per evaluation, where
 * the {@code ref} predicate costs less than the map lookup it replaced.
 * <p>
 * One per request, not per exchange: a copy of the exchange (an {@code enrich} into {@code direct:infer}, a JUDGE
 * candidate branch) and the ensemble's provider calls hold the same object, so a step sees what the request's
 * earlier steps wrote whichever exchange it runs on. What belongs to one backend call (its replica, the bytes sent,
 * when it was sent) stays on that call's exchange: see {@code dev.llmpool.providers.ProviderCall}.
 * <p>
 * Fields, not a map: a step reads what it needs with a field read after a single property lookup, and copying an
 * exchange copies one entry. Not synchronized: a request's steps run one after the other; the ensemble's calls only
 * read it (the race writes its results on the request's own exchange when it has finished).
 */
public final class RequestState {

    /**
     * The exchange property holding the request's state. Not a prefix of the other properties' dotted names
     * ({@code llmpool.judgeProvider}...): the simple language, finding no property by a dotted name, would look up
     * its first segment and call the rest as a method on it.
     */
    public static final String PROPERTY = "llmpoolRequest";

    /**
     * Door inputs: a route that feeds {@code direct:infer} names its door ({@code kafka}, {@code jms}, {@code grpc})
     * and, for a door whose messages carry no credential, the tenant it acts as, with these two exchange properties
     * ({@code setProperty} in its YAML: docs/queues.md, docs/access-control.md). The request context moves them into
     * the state ({@link #api()}, {@link #tenant()}); nothing else reads them.
     */
    public static final String DOOR_API = "llmpool.api";
    /** See {@link #DOOR_API}. */
    public static final String DOOR_TENANT = "llmpool.tenant";

    /** Route predicate {@code notAnswered}: the answer is not known yet (no cache hit, coalesced request or replay). */
    public static final Predicate NOT_ANSWERED = exchange -> !of(exchange).answered();
    /** Route predicate {@code servedByJudge}: the request is served by the JUDGE strategy. */
    public static final Predicate SERVED_BY_JUDGE = exchange -> "JUDGE".equals(of(exchange).strategy());
    /** Route predicate {@code streamedOverHttp}: the HTTP caller asked for a stream ({@link #httpStream()}). */
    public static final Predicate STREAMED_OVER_HTTP = exchange -> of(exchange).httpStream() != null;


    /** The request's state, created on the first step that asks (the door or the core route's first step). */
    public static RequestState of(Exchange exchange) {
        Object state = exchange.getProperty(PROPERTY);
        if (state != null) {
            return (RequestState) state;
        }
        RequestState created = new RequestState();
        exchange.setProperty(PROPERTY, created);
        return created;
    }

    /** The request's state when a step has created it, else null (for steps that may run before any: error handlers). */
    public static RequestState find(Exchange exchange) {
        return (RequestState) exchange.getProperty(PROPERTY);
    }

    /** Puts the request's state on another exchange the request runs (an ensemble call). */
    public void shareWith(Exchange exchange) {
        exchange.setProperty(PROPERTY, this);
    }

    private String requestId;
    private long startedNanos;
    private boolean started;
    private PoolConfig config;
    private boolean providerTasks;
    private String api;
    private String model;
    private List<ChatMessage> messages;
    private InferRequest request;
    private String idempotencyKey;
    private String cacheControl;
    private String tenant;
    private Principal principal;
    private boolean answered;
    private boolean fromCache;
    private String replay;
    private String replayRequestId;
    private Plan plan;
    private String onlyProvider;
    private Outcome outcome;
    private UsageTotal usage = UsageTotal.NONE;
    private long backendWaitNanos;
    private RequestTrace trace;
    private String traceId;
    private String cacheKey;
    private InFlight.Flight<?> cacheFlight;
    private boolean cacheStore;
    private InFlight.Flight<?> idempotencyFlight;
    private OutcomeJson rendered;
    private ExactRepeats.Raw raw;
    private CallerLink callerLink;
    private ChunkSink chunkSink;
    private HttpChunkStream httpStream;

    /** The request id (the caller's X-Request-Id when sane); null until a door or the request context sets it. */
    public String requestId() {
        return requestId;
    }

    public void setRequestId(String requestId) {
        this.requestId = requestId;
    }

    /** True once the request context has noted the arrival time. */
    public boolean started() {
        return started;
    }

    /** {@link System#nanoTime()} when the request arrived; meaningful when {@link #started()}. */
    public long startedNanos() {
        return startedNanos;
    }

    public void setStartedNanos(long startedNanos) {
        this.startedNanos = startedNanos;
        this.started = true;
    }

    /** The configuration snapshot the request is served with from start to end, whatever reloads happen meanwhile. */
    public PoolConfig config() {
        return config;
    }

    public void setConfig(PoolConfig config) {
        this.config = config;
    }

    /** True when the door's {@code model} may name a provider: see {@link PoolConfig#withProviderTasks}. */
    public boolean providerTasks() {
        return providerTasks;
    }

    public void setProviderTasks(boolean providerTasks) {
        this.providerTasks = providerTasks;
    }

    /** The door the request came in by ({@code infer}, {@code openai}, {@code ollama}, {@code grpc}, {@code kafka}...); null = infer. */
    public String api() {
        return api;
    }

    public void setApi(String api) {
        this.api = api;
    }

    /** The {@code model} the caller named, as given (the chat doors). */
    public String model() {
        return model;
    }

    public void setModel(String model) {
        this.model = model;
    }

    /** The conversation when a chat door received more than one user message; null otherwise. */
    public List<ChatMessage> messages() {
        return messages;
    }

    public void setMessages(List<ChatMessage> messages) {
        this.messages = messages;
    }

    /** The validated request; null until validation has passed. */
    public InferRequest request() {
        return request;
    }

    public void setRequest(InferRequest request) {
        this.request = request;
    }

    /** The caller's Idempotency-Key header, kept because validation clears every header. */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    public void setIdempotencyKey(String idempotencyKey) {
        this.idempotencyKey = idempotencyKey;
    }

    /** The caller's Cache-Control header, kept because validation clears every header. */
    public String cacheControl() {
        return cacheControl;
    }

    public void setCacheControl(String cacheControl) {
        this.cacheControl = cacheControl;
    }

    /** The tenant the request is served for ({@code dev.llmpool.auth}); null when authentication is off. */
    public String tenant() {
        return tenant;
    }

    /** The tenant's name, {@code default} when authentication is off. */
    public String tenantOrDefault() {
        return tenant == null ? "default" : tenant;
    }

    public void setTenant(String tenant) {
        this.tenant = tenant;
    }

    /** Who called, when authentication is on. */
    public Principal principal() {
        return principal;
    }

    public void setPrincipal(Principal principal) {
        this.principal = principal;
    }

    /**
     * True once the answer is known without the ensemble (a cache hit, an identical request waited for, an
     * idempotent replay). A plain flag, so the route's choice never compares (and prints) the answer itself.
     */
    public boolean answered() {
        return answered;
    }

    public void setAnswered(boolean answered) {
        this.answered = answered;
    }

    /** True when the answer came from the response cache. */
    public boolean fromCache() {
        return fromCache;
    }

    public void setFromCache(boolean fromCache) {
        this.fromCache = fromCache;
    }

    /** The earlier response body replayed for the same Idempotency-Key and body; null when not a replay. */
    public String replay() {
        return replay;
    }

    /** The request id of the response being replayed. */
    public String replayRequestId() {
        return replayRequestId;
    }

    public void setReplay(String body, String requestId) {
        this.replay = body;
        this.replayRequestId = requestId;
    }

    /** Providers in order, strategy, rendered prompt and deadline; null until the task is resolved. */
    public Plan plan() {
        return plan;
    }

    public void setPlan(Plan plan) {
        this.plan = plan;
    }

    /** The plan's strategy by name ({@code JUDGE}...), for the route's choice; null before the task is resolved. */
    public String strategy() {
        return plan == null ? null : plan.strategy().name();
    }

    /**
     * Call only this configured provider instead of the task's providers. Internal: no door sets it from caller
     * input; the evaluation command uses it to measure one provider as a FASTEST request.
     */
    public String onlyProvider() {
        return onlyProvider;
    }

    public void setOnlyProvider(String onlyProvider) {
        this.onlyProvider = onlyProvider;
    }

    /** The answer (the ensemble's, or the cached one); null until there is one. */
    public Outcome outcome() {
        return outcome;
    }

    public void setOutcome(Outcome outcome) {
        this.outcome = outcome;
    }

    /** The tokens of every backend call the request caused; none until its calls have ended. */
    public UsageTotal usage() {
        return usage;
    }

    public void setUsage(UsageTotal usage) {
        this.usage = usage;
    }

    /** Nanoseconds the request waited on backends, left by the ensemble (the pool's own time is the rest). */
    public long backendWaitNanos() {
        return backendWaitNanos;
    }

    public void setBackendWaitNanos(long backendWaitNanos) {
        this.backendWaitNanos = backendWaitNanos;
    }

    /** The request's span, with tracing on; the parent of its calls' spans. */
    public RequestTrace trace() {
        return trace;
    }

    public void setTrace(RequestTrace trace) {
        this.trace = trace;
    }

    /** The W3C trace id: the request span's with tracing on, else the caller's {@code traceparent}'s when valid. */
    public String traceId() {
        return traceId;
    }

    public void setTraceId(String traceId) {
        this.traceId = traceId;
    }

    /** The response cache's key for this request (dev.llmpool.cache.ResponseCache). */
    public String cacheKey() {
        return cacheKey;
    }

    public void setCacheKey(String cacheKey) {
        this.cacheKey = cacheKey;
    }

    /** The identical requests waiting for this one's answer (dev.llmpool.cache.ResponseCache). */
    public InFlight.Flight<?> cacheFlight() {
        return cacheFlight;
    }

    public void setCacheFlight(InFlight.Flight<?> cacheFlight) {
        this.cacheFlight = cacheFlight;
    }

    /** True when a fresh answer to this request is to be stored in the response cache. */
    public boolean cacheStore() {
        return cacheStore;
    }

    public void setCacheStore(boolean cacheStore) {
        this.cacheStore = cacheStore;
    }

    /** This request's hold on its Idempotency-Key (dev.llmpool.cache.IdempotencyGuard). */
    public InFlight.Flight<?> idempotencyFlight() {
        return idempotencyFlight;
    }

    public void setIdempotencyFlight(InFlight.Flight<?> idempotencyFlight) {
        this.idempotencyFlight = idempotencyFlight;
    }

    /** The outcome rendered once as JSON (the cache stores it, the response writer sends it). */
    public OutcomeJson rendered() {
        return rendered;
    }

    public void setRendered(OutcomeJson rendered) {
        this.rendered = rendered;
    }

    /** The request's bytes as they came, for dev.llmpool.cache.ExactRepeats; null when that is off or cannot apply. */
    public ExactRepeats.Raw raw() {
        return raw;
    }

    public void setRaw(ExactRepeats.Raw raw) {
        this.raw = raw;
    }

    /** Tells the request's calls when the caller has gone; null for doors without a connection to watch. */
    public CallerLink callerLink() {
        return callerLink;
    }

    public void setCallerLink(CallerLink callerLink) {
        this.callerLink = callerLink;
    }

    /** Where a streamed answer's chunks go; null for a whole answer. */
    public ChunkSink chunkSink() {
        return chunkSink;
    }

    public void setChunkSink(ChunkSink chunkSink) {
        this.chunkSink = chunkSink;
    }

    /** The HTTP response a streamed answer is written to as it is generated; null for a whole answer. */
    public HttpChunkStream httpStream() {
        return httpStream;
    }

    public void setHttpStream(HttpChunkStream httpStream) {
        this.httpStream = httpStream;
    }
}
