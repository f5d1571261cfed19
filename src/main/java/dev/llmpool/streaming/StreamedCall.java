package dev.llmpool.streaming;

import dev.llmpool.providers.CallProperties;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.parsetools.RecordParser;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

import dev.llmpool.ensemble.FailureReasons;
import dev.llmpool.providers.BackendBinding;
import dev.llmpool.providers.CallHandle;
import dev.llmpool.providers.ConnectionReset;
import dev.llmpool.providers.ProviderCall;
import dev.llmpool.providers.ProviderException;
import dev.llmpool.providers.ProviderReply;
import dev.llmpool.routing.ProviderCalls;

/**
 * The provider route's backend call when its sender wants the answer streamed (a {@link ProviderCalls#TOKENS}
 * consumer on the branch): the chat request with streaming on, over the same connection pools as whole answers
 * ({@link BackendBinding#httpClient}), read line by line as the model generates (Ollama's NDJSON, the OpenAI API's
 * server-sent events). Each piece of content goes to the consumer at once; the route then ends like a whole-answer
 * call, with the complete {@link ProviderReply} as its body or a {@link ProviderException} its guard counts. The
 * branch's {@link CallHandle} closes the connection when the sender gives up, which stops the model generating.
 * camel-vertx-http cannot do this: it hands over a response only once its body is complete.
 */
public class StreamedCall extends AsyncProcessorSupport {

    private final BackendBinding backend;
    private final ObjectMapper mapper;

    public StreamedCall(BackendBinding backend, ObjectMapper mapper) {
        this.backend = backend;
        this.mapper = mapper;
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean process(Exchange exchange, AsyncCallback callback) {
        ProviderCall call = exchange.getProperty(CallProperties.CALL, ProviderCall.class);
        Reading reading = new Reading(exchange, callback, call, exchange.getProperty(CallProperties.TOKENS, Consumer.class));
        byte[] body;
        try {
            body = mapper.writeValueAsBytes(reading.decoder.request(mapper, call));
        } catch (java.io.IOException e) {
            reading.fail("cannot encode the request: " + e.getMessage());
            return false;
        }
        // The idle timeout bounds the wait for the headers and between two lines; the race's deadline, the whole call.
        String replica = exchange.getProperty(CallProperties.REPLICA_URL, String.class); // the guard's choice
        if (replica == null) {
            replica = call.provider().replicaUrls().get(0);
        }
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                .setAbsoluteURI(replica + reading.decoder.path(call.provider()))
                .putHeader("Content-Type", "application/json")
                .setIdleTimeout(Math.max(1, call.remainingMillis()));
        Object traceparent = exchange.getProperty(CallProperties.TRACEPARENT); // with tracing on: the call's span
        if (traceparent != null) {
            options.putHeader("traceparent", traceparent.toString());
        }
        CallHandle handle = CallHandle.of(exchange);
        backend.httpClient(replica, call.provider().maxConcurrency()).request(options).onComplete(created -> {
            if (created.failed()) {
                reading.fail(FailureReasons.describe(created.cause()));
                return;
            }
            HttpClientRequest request = created.result();
            if (handle != null) {
                ConnectionReset reset = ConnectionReset.of(request);
                handle.onEnd(() -> reset.resetSoon(handle.reason()));
            }
            request.send(Buffer.buffer(body)).onComplete(answer -> {
                if (answer.failed()) {
                    reading.fail(FailureReasons.describe(answer.cause()));
                } else {
                    reading.read(answer.result());
                }
            });
        });
        return false;
    }

    /** One streamed answer being read; ends the route exactly once. Lines arrive on one event loop, in order. */
    private final class Reading {
        final StreamDecoder decoder;
        private final Exchange exchange;
        private final AsyncCallback callback;
        private final ProviderCall call;
        private final Consumer<String> tokens;
        private final StringBuilder content = new StringBuilder();
        private final long startedNanos = System.nanoTime();
        private long promptTokens;
        private long completionTokens;
        private String finishReason;
        private final CallHandle handle;
        private boolean ended;

        Reading(Exchange exchange, AsyncCallback callback, ProviderCall call, Consumer<String> tokens) {
            this.exchange = exchange;
            this.handle = CallHandle.of(exchange);
            this.callback = callback;
            this.call = call;
            this.tokens = tokens;
            this.decoder = StreamDecoder.of(call.provider().kind());
        }

        void read(HttpClientResponse response) {
            if (response.statusCode() / 100 != 2) {
                response.body().onComplete(text -> fail("HTTP " + response.statusCode()
                        + (text.succeeded() ? errorMessage(text.result().toString(StandardCharsets.UTF_8)) : "")));
                return;
            }
            RecordParser lines = RecordParser.newDelimited("\n", response);
            lines.exceptionHandler(e -> fail(FailureReasons.describe(e)));
            lines.endHandler(v -> fail("stream ended without its final message"));
            lines.handler(line -> onLine(line.toString(StandardCharsets.UTF_8)));
        }

        private void onLine(String line) {
            if (ended) {
                return;
            }
            StreamEvent event;
            try {
                event = decoder.decode(mapper, line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
            } catch (java.io.IOException | RuntimeException e) {
                fail("invalid stream line: " + snippet(line));
                return;
            }
            if (event instanceof StreamEvent.Token t) {
                generated(t.text());
            } else if (event instanceof StreamEvent.Meta m) {
                generated(m.text());
                if (m.usage() != null) {
                    promptTokens = m.usage()[0];
                    completionTokens = m.usage()[1];
                }
                if (m.finishReason() != null) {
                    finishReason = m.finishReason();
                }
            } else if (event instanceof StreamEvent.Done d) {
                if (d.promptTokens() >= 0) {
                    promptTokens = d.promptTokens();
                    completionTokens = d.completionTokens();
                }
                if (d.finishReason() != null) {
                    finishReason = d.finishReason();
                }
                end(new ProviderReply(call.provider().name(), d.model() != null ? d.model() : call.provider().model(),
                        content.toString(), promptTokens, completionTokens, (System.nanoTime() - startedNanos) / 1_000_000,
                        finishReason),
                        null);
            } else if (event instanceof StreamEvent.Failed f) {
                fail("error in a 200 stream: " + f.message());
            }
        }

        /** Content the backend generated: kept for the whole reply, and passed on at once (empty pieces are not). */
        private void generated(String text) {
            content.append(text);
            if (!text.isEmpty()) {
                tokens.accept(text);
            }
        }

        void fail(String reason) {
            Exception why = handle == null ? null : handle.reason();
            end(null, why != null ? why : new ProviderException(0, reason)); // ended by its sender, or the backend's
        }

        private void end(ProviderReply reply, Exception failure) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
            }
            if (failure != null) {
                exchange.setException(failure);
            } else {
                exchange.getMessage().setBody(reply);
            }
            callback.done(false);
        }
    }

    private String errorMessage(String body) {
        try {
            var n = mapper.readTree(body);
            var e = n == null ? null : n.get("error");
            if (e != null) {
                return ": " + (e.isTextual() ? e.asText() : e.path("message").asText(""));
            }
        } catch (java.io.IOException | RuntimeException ignored) {
            // not JSON: the text itself says it best
        }
        return body.isBlank() ? "" : ": " + snippet(body);
    }

    private static String snippet(String s) {
        String t = s.strip().replaceAll("\\s+", " ");
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }
}
