package dev.llmpool.facades;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * Streams through the three doors on the wire: SSE for OpenAI and /v1/infer, NDJSON for Ollama; chunks leave while
 * the backend is still generating; a caller that goes away ends the backend call; other strategies and cache hits
 * arrive as one delta.
 */
class FacadeStreamingTest extends PoolTestSupport {

    @Override
    protected String extraConfig() {
        return """
                pool.limits.max-deadline-ms=20000
                pool.tasks.vote.providers=phi3,llama31,gemma2
                pool.tasks.vote.strategy=VOTING
                pool.tasks.vote.prompt=prompts/enrich_metadata.md
                """;
    }

    private static String words(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
    }

    /** A raw HTTP/1.1 request on its own socket, so that the test sees each chunk as it arrives and can hang up. */
    private Socket open(String path, String json) throws Exception {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(15_000);
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return s;
    }

    @Test
    void eachDoorSendsTheFirstChunkWhileTheBackendGeneratesAndAHangUpEndsTheBackendCall() throws Exception {
        A.model("phi3:mini").answer(words(40)).chunkDelay(Duration.ofMillis(200)); // 8 s of generation
        String[][] doors = {
                {"/v1/chat/completions", "{\"model\":\"enrich_metadata\",\"stream\":true,\"deadline_ms\":20000,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "\"content\":\"w1\""},
                {"/api/chat", "{\"model\":\"enrich_metadata\",\"deadline_ms\":20000,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "\"content\":\"w1\""},
                {"/v1/infer", "{\"task\":\"enrich_metadata\",\"prompt\":\"x\",\"stream\":true,\"deadline_ms\":20000}",
                        "{\"content\":\"w1\"}"}};
        for (String[] door : doors) {
            try (Socket s = open(door[0], door[1])) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                assertTrue(in.readLine().startsWith("HTTP/1.1 200"), door[0]);
                String line;
                while (!(line = in.readLine()).contains(door[2])) {
                    assertFalse(line.contains("\"done\":true") || line.contains("[DONE]"), door[0] + ": " + line);
                }
                assertEquals(1, A.inFlight("phi3:mini"), door[0] + ": the first chunk arrived while the model was generating");
            } // hang up mid-stream
            assertTrue(eventually(Duration.ofSeconds(5), () -> A.inFlight("phi3:mini") == 0),
                    door[0] + ": the backend call ended with the caller, long before its 8 s");
        }
    }

    @Test
    void openAiSseFramingUsageAndDone() {
        A.model("phi3:mini").answer("one two three").chunkDelay(Duration.ofMillis(20));
        HttpResponse<String> r = post("/v1/chat/completions", "application/json", "{\"model\":\"enrich_metadata\","
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElse(""));
        String requestId = r.headers().firstValue("X-Request-Id").orElseThrow();
        List<String> events = List.of(r.body().split("\n\n"));
        for (String e : events) {
            assertTrue(e.startsWith("data: "), "every event is one data line: " + e);
        }
        assertEquals("data: [DONE]", events.get(events.size() - 1));
        List<JsonNode> chunks = new ArrayList<>();
        for (String e : events.subList(0, events.size() - 1)) {
            chunks.add(parse(e.substring(6)));
        }
        for (JsonNode c : chunks) {
            assertEquals("chat.completion.chunk", c.path("object").asText());
            assertEquals("chatcmpl-" + requestId, c.path("id").asText(), "one id for the stream");
            assertEquals(chunks.get(0).path("created").asLong(), c.path("created").asLong());
        }
        JsonNode first = chunks.get(0).path("choices").path(0).path("delta");
        assertEquals("assistant", first.path("role").asText());
        assertEquals("", first.path("content").asText());
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks.subList(1, chunks.size() - 2)) {
            text.append(c.path("choices").path(0).path("delta").path("content").asText());
            assertTrue(c.has("usage") && c.get("usage").isNull(), "usage: null on every chunk with include_usage");
        }
        assertEquals("one two three", text.toString());
        assertTrue(chunks.size() - 3 >= 3, "one delta per generated piece: " + chunks.size());
        JsonNode finish = chunks.get(chunks.size() - 2);
        assertEquals("stop", finish.path("choices").path(0).path("finish_reason").asText());
        JsonNode usage = chunks.get(chunks.size() - 1);
        assertEquals(0, usage.path("choices").size());
        assertEquals(3, usage.path("usage").path("completion_tokens").asInt());
        assertEquals(usage.path("usage").path("prompt_tokens").asInt() + 3, usage.path("usage").path("total_tokens").asInt());
    }

    @Test
    void ollamaNdjsonAndInferSseAndWholeAnswersAsOneDelta() {
        // Ollama chat, streamed by default
        HttpResponse<String> r = post("/api/chat", "application/json",
                "{\"model\":\"enrich_metadata\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").orElse(""));
        String[] lines = r.body().split("\n");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < lines.length - 1; i++) {
            JsonNode line = parse(lines[i]);
            assertFalse(line.path("done").asBoolean(true));
            assertEquals("enrich_metadata", line.path("model").asText());
            assertTrue(line.path("created_at").asText().endsWith("Z"));
            text.append(line.path("message").path("content").asText());
        }
        assertEquals("phi3 says hello", text.toString());
        JsonNode last = parse(lines[lines.length - 1]);
        assertTrue(last.path("done").asBoolean());
        assertEquals("stop", last.path("done_reason").asText());
        assertEquals("", last.path("message").path("content").asText());
        for (String f : new String[] {"total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration",
                "eval_count", "eval_duration"}) {
            assertTrue(last.path(f).isIntegralNumber(), f + " in " + last);
        }
        assertEquals(3, last.path("eval_count").asInt());

        // generate, not streamed: one object with the whole answer
        r = post("/api/generate", "application/json", "{\"model\":\"gemma2:latest\",\"prompt\":\"x\",\"system\":\"s\",\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode g = json(r);
        assertEquals("gemma says hello", g.path("response").asText());
        assertTrue(g.path("done").asBoolean());
        assertEquals("system", C.lastRequest("gemma2:9b").path("messages").path(0).path("role").asText());

        // VOTING through each stream: the decided answer in one delta
        B.model("llama3.1:8b").answer("phi3 says hello");
        r = post("/api/generate", "application/json", "{\"model\":\"vote\",\"prompt\":\"x\"}");
        lines = r.body().split("\n");
        assertEquals(2, lines.length, r.body());
        assertEquals("phi3 says hello", parse(lines[0]).path("response").asText());
        assertEquals("VOTING", parse(lines[1]).path("llmpool").path("strategy_used").asText());

        r = post("/v1/infer", "application/json", "{\"task\":\"vote\",\"prompt\":\"y\",\"stream\":true}");
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElse(""));
        String[] events = r.body().split("\n\n");
        assertEquals(2, events.length, r.body());
        assertEquals("event: chunk\ndata: {\"content\":\"phi3 says hello\"}", events[0]);
        assertTrue(events[1].startsWith("event: done\ndata: "));
        JsonNode done = parse(events[1].substring("event: done\ndata: ".length()));
        assertEquals("phi3 says hello", done.path("content").asText());
        assertEquals(2, done.path("votes").path("phi3 says hello").asInt());

        // /v1/infer streamed under FASTEST: chunk events as generated, then done
        r = post("/v1/infer", "application/json", "{\"task\":\"enrich_metadata\",\"prompt\":\"z\",\"stream\":true}");
        events = r.body().split("\n\n");
        assertEquals(4, events.length, "three pieces, then done: " + r.body());
        assertTrue(events[3].startsWith("event: done\ndata: {\"request_id\""));
    }

    @Test
    void anErrorAfterTheFirstChunkEndsEachStreamInItsApisShape() {
        A.model("phi3:mini").answer("a b c d e f").errorMidStream("the model crashed");
        HttpResponse<String> openAi = post("/v1/chat/completions", "application/json", "{\"model\":\"enrich_metadata\","
                + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"1\"}]}");
        assertEquals(200, openAi.statusCode(), "the stream had begun");
        String[] events = openAi.body().split("\n\n");
        JsonNode error = parse(events[events.length - 1].substring("data: ".length()));
        assertEquals("provider_failed_mid_stream", error.path("error").path("code").asText(), openAi.body());
        assertEquals("api_error", error.path("error").path("type").asText());
        assertFalse(openAi.body().contains("[DONE]"));

        HttpResponse<String> ollama = post("/api/chat", "application/json",
                "{\"model\":\"enrich_metadata\",\"messages\":[{\"role\":\"user\",\"content\":\"2\"}]}");
        String[] lines = ollama.body().split("\n");
        JsonNode last = parse(lines[lines.length - 1]);
        assertEquals(1, last.size(), "one {\"error\"} line ends it: " + ollama.body());
        assertTrue(last.path("error").asText().contains("the model crashed"), ollama.body());
        assertFalse(ollama.body().contains("\"done\":true"));

        HttpResponse<String> infer = post("/v1/infer", "application/json", "{\"task\":\"enrich_metadata\",\"prompt\":\"3\",\"stream\":true}");
        events = infer.body().split("\n\n");
        assertTrue(events[0].startsWith("event: chunk\n"), infer.body());
        assertTrue(events[events.length - 1].startsWith("event: error\ndata: {\"error\":{\"code\":\"provider_failed_mid_stream\""), infer.body());
    }

    @Test
    void cacheHitsAndIdempotentReplaysThroughTheFacades() {
        String chat = "{\"model\":\"enrich_metadata\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
                + "{\"role\":\"user\",\"content\":\"cached?\"}]";
        HttpResponse<String> first = post("/v1/chat/completions", "application/json", chat + "}");
        assertEquals(200, first.statusCode(), first.body());
        assertFalse(json(first).path("llmpool").path("from_cache").asBoolean());
        HttpResponse<String> streamed = post("/v1/chat/completions", "application/json", chat + ",\"stream\":true}");
        String[] events = streamed.body().split("\n\n");
        assertEquals(4, events.length, "role, the cached answer in one delta, finish, [DONE]: " + streamed.body());
        assertEquals("phi3 says hello", parse(events[1].substring(6)).path("choices").path(0).path("delta").path("content").asText());
        assertTrue(parse(events[2].substring(6)).path("llmpool").path("from_cache").asBoolean());
        assertEquals(1, A.calls("phi3:mini"), "the second request was a cache hit");

        // a different conversation with the same last message is not the same request
        post("/v1/chat/completions", "application/json", "{\"model\":\"enrich_metadata\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"other\"},{\"role\":\"user\",\"content\":\"cached?\"}]}");
        assertEquals(2, A.calls("phi3:mini"));

        // a single user message is the task API's request exactly: it shares the task API's cache entry
        infer("{\"task\":\"enrich_metadata\",\"prompt\":\"shared\"}");
        HttpResponse<String> ollama = post("/api/chat", "application/json", "{\"model\":\"enrich_metadata\",\"stream\":false,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"shared\"}]}");
        assertTrue(json(ollama).path("llmpool").path("from_cache").asBoolean(), ollama.body());
        assertEquals(3, A.calls("phi3:mini"));

        // Idempotency-Key: the replay is the first response, in OpenAI's shape
        java.net.http.HttpRequest keyed = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Content-Type", "application/json").header("Idempotency-Key", "k-1")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(chat + ",\"cache\":false}")).build();
        HttpResponse<String> once = send(keyed);
        HttpResponse<String> again = send(keyed);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(json(once).path("id").asText(), json(again).path("id").asText(), "the replay is the first answer");
        assertEquals("true", again.headers().firstValue("Idempotent-Replayed").orElse(""));
        assertEquals(4, A.calls("phi3:mini"));
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}
