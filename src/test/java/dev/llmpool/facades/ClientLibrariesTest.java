package dev.llmpool.facades;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * The real client libraries, unchanged but for their base URL, against the pool over a socket: OpenAI's Java SDK
 * and LangChain4j's OpenAI and Ollama chat models, plain and streamed.
 */
class ClientLibrariesTest extends PoolTestSupport {

    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\n";
    }

    private OpenAIClient openAi() {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey("unused")
                .maxRetries(0).build();
    }

    @Test
    void openAiJavaSdkChatsStreamsAndMapsErrorsToItsTypedExceptions() {
        OpenAIClient client = openAi();
        A.model("phi3:mini").answer("{\"tags\":[\"a\"]}");
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("enrich_metadata").addSystemMessage("answer in JSON").addUserMessage("tag this")
                .responseFormat(ResponseFormatJsonObject.builder().build()).maxCompletionTokens(64).build());
        assertEquals("{\"tags\":[\"a\"]}", c.choices().get(0).message().content().orElseThrow());
        assertEquals("phi3:mini", c.model());
        assertTrue(c.usage().orElseThrow().completionTokens() > 0);
        assertEquals(c.usage().orElseThrow().promptTokens() + c.usage().orElseThrow().completionTokens(),
                c.usage().orElseThrow().totalTokens());
        assertEquals("json", A.lastRequest("phi3:mini").path("format").asText(), "response_format reached the backend");
        assertEquals(2, A.lastRequest("phi3:mini").path("messages").size(), "system and user turns");

        A.model("phi3:mini").answer("one two three four").chunkDelay(Duration.ofMillis(20));
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("enrich_metadata").addUserMessage("stream it")
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            chunks = stream.stream().collect(Collectors.toList());
        }
        String text = chunks.stream().flatMap(ch -> ch.choices().stream())
                .map(choice -> choice.delta().content().orElse("")).collect(Collectors.joining());
        assertEquals("one two three four", text);
        assertTrue(chunks.size() >= 6, "role, four deltas, finish, usage: " + chunks.size());
        assertEquals(4, chunks.get(chunks.size() - 1).usage().orElseThrow().completionTokens());

        NotFoundException notFound = assertThrows(NotFoundException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("no-such-model").addUserMessage("x").build()));
        assertEquals(404, notFound.statusCode());
        assertEquals("model_not_found", notFound.code().orElseThrow());
        BadRequestException badRequest = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("enrich_metadata").addUserMessage("x").n(2).build()));
        assertEquals("n", badRequest.param().orElseThrow());
        A.model("phi3:mini").failWith(500, "{\"error\":\"model crashed\"}");
        InternalServerException unavailable = assertThrows(InternalServerException.class, () -> client.chat().completions()
                .create(ChatCompletionCreateParams.builder().model("enrich_metadata").addUserMessage("y").build()));
        assertEquals(503, unavailable.statusCode());

        List<String> models = client.models().list().data().stream().map(m -> m.id()).toList();
        assertTrue(models.containsAll(List.of("enrich_metadata", "phi3")), models.toString());
        assertEquals("llm-pool", client.models().retrieve("phi3").ownedBy());
        assertThrows(NotFoundException.class, () -> client.models().retrieve("nope"));
    }

    @Test
    void langChain4jOpenAiAndOllamaModelsPlainAndStreamed() throws Exception {
        A.model("phi3:mini").answer("alpha beta gamma").chunkDelay(Duration.ofMillis(10));
        ChatModel openAi = OpenAiChatModel.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey("unused")
                .modelName("enrich_metadata").maxRetries(0).timeout(Duration.ofSeconds(20)).build();
        ChatResponse r = openAi.chat(SystemMessage.from("be brief"), UserMessage.from("hi"));
        assertEquals("alpha beta gamma", r.aiMessage().text());
        assertTrue(r.tokenUsage().outputTokenCount() > 0);

        ChatModel ollama = OllamaChatModel.builder().baseUrl("http://127.0.0.1:" + port)
                .modelName("enrich_metadata").timeout(Duration.ofSeconds(20)).build();
        assertEquals("alpha beta gamma", ollama.chat("hi"));

        StreamingChatModel openAiStreaming = OpenAiStreamingChatModel.builder().baseUrl("http://127.0.0.1:" + port + "/v1")
                .apiKey("unused").modelName("enrich_metadata").timeout(Duration.ofSeconds(20)).build();
        Streamed s1 = new Streamed();
        openAiStreaming.chat("stream please", s1);
        assertEquals("alpha beta gamma", s1.done.get(20, TimeUnit.SECONDS).aiMessage().text());
        assertEquals("alpha beta gamma", String.join("", s1.partials));
        assertTrue(s1.partials.size() >= 3, "streamed in pieces: " + s1.partials);

        StreamingChatModel ollamaStreaming = OllamaStreamingChatModel.builder().baseUrl("http://127.0.0.1:" + port)
                .modelName("gemma2").timeout(Duration.ofSeconds(20)).build();
        C.model("gemma2:9b").answer("delta epsilon").chunkDelay(Duration.ofMillis(10));
        Streamed s2 = new Streamed();
        ollamaStreaming.chat("stream please", s2);
        assertEquals("delta epsilon", s2.done.get(20, TimeUnit.SECONDS).aiMessage().text());
        assertEquals("delta epsilon", String.join("", s2.partials));
        assertNull(s2.error);
    }

    private static final class Streamed implements StreamingChatResponseHandler {
        final List<String> partials = new CopyOnWriteArrayList<>();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        volatile Throwable error;

        @Override
        public void onPartialResponse(String partial) {
            partials.add(partial);
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            done.complete(response);
        }

        @Override
        public void onError(Throwable e) {
            error = e;
            done.completeExceptionally(e);
        }
    }
}
