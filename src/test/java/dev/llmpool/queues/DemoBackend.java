package dev.llmpool.queues;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;

import dev.llmpool.fixture.FakeBackend;

/**
 * The demo's model server (scripts/demo-kafka.sh): the tests' fake backend, speaking Ollama's HTTP API on a free
 * loopback port, serving the three models of the shipped configuration with short answers about the request.
 * Prints {@code READY <url>}, then runs until its standard input closes.
 */
public final class DemoBackend {

    private DemoBackend() {
    }

    public static void main(String[] args) throws IOException {
        FakeBackend backend = FakeBackend.start();
        for (String model : new String[] {"phi3:mini", "llama3.1:8b", "gemma2:9b"}) {
            backend.model(model).answer(request -> model + " read " + words(request) + " words of prompt");
        }
        System.out.println("READY " + backend.url());
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the demo script closes our standard input
        }
        backend.close();
    }

    private static int words(JsonNode request) {
        StringBuilder text = new StringBuilder();
        request.path("messages").forEach(m -> text.append(m.path("content").asText()).append(' '));
        return text.toString().trim().split("\\s+").length;
    }
}
