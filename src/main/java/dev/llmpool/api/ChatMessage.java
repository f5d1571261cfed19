package dev.llmpool.api;

import java.util.ArrayList;
import java.util.List;

/**
 * One turn of a conversation as the OpenAI- and Ollama-compatible APIs receive it and the backends are sent it.
 * Roles are passed through as given ({@code system}, {@code user}, {@code assistant}, ...).
 */
public record ChatMessage(String role, String content) {


    /** The conversation with the content of its last user message replaced by {@code content} (the rendered prompt). */
    public static List<ChatMessage> withLastUserContent(List<ChatMessage> messages, String content) {
        List<ChatMessage> out = new ArrayList<>(messages);
        for (int i = out.size() - 1; i >= 0; i--) {
            if ("user".equals(out.get(i).role())) {
                out.set(i, new ChatMessage("user", content));
                break;
            }
        }
        return List.copyOf(out);
    }
}
