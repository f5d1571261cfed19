package dev.llmpool.tracing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

/**
 * An OTLP/HTTP trace receiver on loopback: {@code POST /v1/traces} with a protobuf ExportTraceServiceRequest, decoded
 * with the OpenTelemetry proto classes; keeps every span with its resource's {@code service.name}.
 */
final class OtlpReceiver implements AutoCloseable {

    /** A received span and the service that sent it. */
    record Received(String service, Span span) {
        String attribute(String key) {
            return value(span.getAttributesList(), key);
        }
    }

    private final HttpServer server;
    private final List<Received> spans = new CopyOnWriteArrayList<>();
    final List<String> contentTypes = new CopyOnWriteArrayList<>();

    /** A receiver on a free loopback port, for a test class's static field. */
    static OtlpReceiver start() {
        try {
            return new OtlpReceiver();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/traces", ex -> {
            contentTypes.add(ex.getRequestHeaders().getFirst("Content-Type"));
            try (InputStream body = ex.getRequestBody()) {
                ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body);
                for (ResourceSpans rs : request.getResourceSpansList()) {
                    String service = value(rs.getResource().getAttributesList(), "service.name");
                    for (ScopeSpans ss : rs.getScopeSpansList()) {
                        ss.getSpansList().forEach(s -> spans.add(new Received(service, s)));
                    }
                }
            }
            byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            ex.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            ex.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
            ex.getResponseBody().write(answer);
            ex.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Waits (bounded) until {@code count} spans of this trace have come, and returns every one of them. */
    List<Received> trace(String traceIdHex, int count, Duration limit) throws InterruptedException {
        long until = System.nanoTime() + limit.toNanos();
        Predicate<Received> ofTrace = r -> hex(r.span().getTraceId().toByteArray()).equals(traceIdHex);
        List<Received> found = new ArrayList<>();
        while (System.nanoTime() < until) {
            found = spans.stream().filter(ofTrace).toList();
            if (found.size() >= count) {
                break;
            }
            Thread.sleep(50);
        }
        return found;
    }

    List<Received> all() {
        return List.copyOf(spans);
    }

    static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(String.format("%02x", b));
        }
        return s.toString();
    }

    private static String value(List<KeyValue> attributes, String key) {
        for (KeyValue kv : attributes) {
            if (kv.getKey().equals(key)) {
                AnyValue v = kv.getValue();
                return switch (v.getValueCase()) {
                    case STRING_VALUE -> v.getStringValue();
                    case INT_VALUE -> String.valueOf(v.getIntValue());
                    case DOUBLE_VALUE -> String.valueOf(v.getDoubleValue());
                    case BOOL_VALUE -> String.valueOf(v.getBoolValue());
                    default -> v.toString();
                };
            }
        }
        return null;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
