package dev.llmpool.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.llmpool.grpc.v1.HealthRequest;
import dev.llmpool.grpc.v1.InferRequest;
import dev.llmpool.grpc.v1.LlmPoolGrpc;

/**
 * Issue 23 items 10 and 11 over gRPC: a message that cannot be read is INVALID_ARGUMENT without a SEVERE stack
 * trace, a 100 KB task name does not reach the trailers (nor break the channel), and Health masks credentials.
 */
class GrpcHostileTest extends GrpcTestSupport {

    private final List<LogRecord> severe = new CopyOnWriteArrayList<>();
    private final Handler julWatcher = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                severe.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @Override
    protected String extraConfig() {
        return "pool.providers.secretive.url=http://admin:hunter2@" + A.url().substring("http://".length()) + "\n"
                + "pool.providers.secretive.model=phi3:mini\n";
    }

    @BeforeEach
    void watchJul() {
        java.util.logging.Logger.getLogger("").addHandler(julWatcher);
    }

    @AfterEach
    void unwatchJul() {
        java.util.logging.Logger.getLogger("").removeHandler(julWatcher);
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private StatusRuntimeException sendRaw(byte[] message) {
        MethodDescriptor<byte[], byte[]> infer = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(LlmPoolGrpc.SERVICE_NAME, "Infer"))
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
        return assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(channel, infer,
                CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), message));
    }

    private static byte[] nestedFormat(int depth) {
        Value v = Value.newBuilder().setStringValue("leaf").build();
        for (int i = 0; i < depth; i++) {
            v = Value.newBuilder().setStructValue(Struct.newBuilder().putFields("a", v)).build();
        }
        return request("expand_queries", "hi").setFormat(v).build().toByteArray();
    }

    @Test
    void unreadableMessagesAreInvalidArgumentWithoutSevereLogs() {
        byte[] valid = request("expand_queries", "hi").build().toByteArray();
        byte[][] bad = {
                {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff},                  // garbage
                Arrays.copyOf(valid, valid.length - 3),                                 // truncated
                {0x0a, 0x02, (byte) 0xc3, 0x28, 0x12, 0x02, 'h', 'i'},                  // task: invalid UTF-8
                nestedFormat(90),                                                        // past the recursion limit
        };
        for (byte[] message : bad) {
            StatusRuntimeException e = sendRaw(message);
            assertEquals(Status.Code.INVALID_ARGUMENT, code(e), e.getStatus().toString());
            assertFalse(String.valueOf(e.getStatus().getDescription()).contains("Exception"));
        }
        assertTrue(severe.isEmpty(), "SEVERE log records: " + severe.stream().map(LogRecord::getMessage).toList());
        assertEquals("phi3 says hello", blocking().infer(request("expand_queries", "after").build()).getContent());
    }

    @Test
    void aHugeTaskNameStaysOutOfTheTrailersAndTheChannelKeepsWorking() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> blocking().infer(request("t".repeat(100_000), "hi").build()));
        assertEquals(Status.Code.NOT_FOUND, code(e));
        assertTrue(e.getStatus().getDescription().length() < 2000, "description is bounded");
        assertEquals("phi3 says hello", LlmPoolGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .infer(request("expand_queries", "next").build()).getContent(), "the same channel answers at once");
    }

    @Test
    void healthMasksCredentialsInProviderUrls() {
        String report = blocking().health(HealthRequest.getDefaultInstance()).toString();
        assertFalse(report.contains("hunter2"), report);
        assertTrue(report.contains("***@"), report);
    }

}
