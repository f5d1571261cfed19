package dev.llmpool.facades;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/** Ollama's endpoints on the wire, bad input on every door, and a caller that sends half a body. */
class OllamaWireTest extends PoolTestSupport {

    @Override
    protected String extraConfig() {
        return "pool.limits.max-prompt-bytes=200\n";
    }

    @Test
    void infoEndpointsAndLoadRequests() {
        HttpResponse<String> tags = get("/api/tags");
        assertEquals(200, tags.statusCode());
        List<String> names = new ArrayList<>();
        for (JsonNode m : json(tags).path("models")) {
            names.add(m.path("name").asText());
            assertTrue(m.path("details").isObject() && m.has("modified_at") && m.has("size") && m.has("digest"), m.toString());
        }
        assertTrue(names.containsAll(List.of("enrich_metadata:latest", "phi3:latest", "judge:latest")), names.toString());
        assertEquals(names.size(), json(get("/api/ps")).path("models").size());
        assertTrue(json(get("/api/version")).path("version").isTextual());
        HttpResponse<String> root = get("/");
        assertEquals("Ollama is running", root.body());
        HttpResponse<String> head = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(200, head.statusCode());

        // no messages / an empty prompt: Ollama's "load the model", answered without a backend
        JsonNode load = json(post("/api/chat", "application/json", "{\"model\":\"enrich_metadata\",\"messages\":[]}"));
        assertEquals("load", load.path("done_reason").asText());
        assertTrue(load.path("done").asBoolean());
        assertEquals("load", json(post("/api/generate", "application/json", "{\"model\":\"phi3\"}")).path("done_reason").asText());
        assertEquals(404, post("/api/chat", "application/json", "{\"model\":\"nope\"}").statusCode());
        assertEquals(0, A.totalCalls() + B.totalCalls() + C.totalCalls());
    }

    @Test
    void badInputGetsEachApisOwnError() {
        String chat = "/api/chat";
        assertOllamaError(post(chat, "application/json", "{\"model\":\"enrich_metadata\",\"messages\":[{\"role\""), 400);
        assertOllamaError(post(chat, "application/json", ""), 400);
        assertOllamaError(post(chat, "application/json", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400);
        assertOllamaError(post(chat, "application/json", "{\"model\":\"enrich_metadata\",\"messages\":\"hi\"}"), 400);
        assertOllamaError(post(chat, "application/json", "{\"model\":\"enrich_metadata\",\"messages\":[{\"role\":\"user\"}]}"), 400);
        assertOllamaError(post(chat, "application/json", "{\"model\":\"enrich_metadata\",\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400);
        assertOllamaError(post(chat, "application/json", "{\"model\":\"enrich_metadata\",\"options\":{\"num_predict\":\"many\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400);
        assertOllamaError(post(chat, "application/json", "{\"model\":\"enrich_metadata\",\"options\":{\"temperature\":9},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400);
        assertOllamaError(post(chat, "application/json", "{\"model\":\"enrich_metadata\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(300) + "\"}]}"), 413);
        assertOllamaError(post("/api/generate", "application/json", "{\"model\":\"enrich_metadata\",\"prompt\":\"" + "x".repeat(300) + "\"}"), 413);
        HttpResponse<String> unknown = post(chat, "application/json", "{\"model\":\"llama9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertOllamaError(unknown, 404);
        assertEquals("model 'llama9' not found", json(unknown).path("error").asText());
        // a streamed request that fails before anything was sent gets a plain error, not a stream
        A.model("phi3:mini").failWith(500, "{\"error\":\"boom\"}");
        assertOllamaError(post(chat, "application/json", "{\"model\":\"enrich_metadata\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 503);

        // /v1/infer keeps its own shape, stream or not
        HttpResponse<String> infer = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"x\",\"stream\":\"yes\"}");
        assertEquals(400, infer.statusCode());
        assertEquals("stream", json(infer).path("error").path("field").asText());
        assertTrue(json(infer).has("request_id"));
    }

    @Test
    void halfABodyThenAHangUpReachesNoBackendAndBreaksNothing() throws Exception {
        for (String path : new String[] {"/v1/chat/completions", "/api/chat", "/v1/infer"}) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 200\r\n\r\n{\"model\":\"enrich_metadata\",\"mess").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.shutdownOutput();
                InputStream in = s.getInputStream();
                byte[] answer = in.readAllBytes();  // the server closes; nothing half-parsed is answered as a success
                assertFalse(new String(answer, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"), path);
            }
        }
        assertEquals(0, A.totalCalls() + B.totalCalls() + C.totalCalls(), "no backend was asked");
        HttpResponse<String> after = post("/api/chat", "application/json",
                "{\"model\":\"enrich_metadata\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(200, after.statusCode(), "the service still answers: " + after.body());
    }

    private static void assertOllamaError(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertTrue(r.headers().firstValue("X-Request-Id").isPresent());
        JsonNode body = json(r);
        assertEquals(1, body.size(), "only {\"error\": message}: " + r.body());
        assertTrue(body.path("error").isTextual() && !body.path("error").asText().isEmpty(), r.body());
        assertFalse(r.body().contains("Exception"), r.body());
    }
}
