package dev.llmpool.streaming;

/** One line of a backend's streamed answer, decoded. */
sealed interface StreamEvent {

    /** A piece of content (may be empty: a role-only or keep-alive chunk). */
    record Token(String text) implements StreamEvent {
    }

    /** The answer is complete; token counts as the backend reported them (0 when it did not). */
    record Done(String model, long promptTokens, long completionTokens) implements StreamEvent {
    }

    /** Usage reported in its own event (OpenAI's include_usage chunk), before the end marker. */
    record Usage(long promptTokens, long completionTokens) implements StreamEvent {
    }

    /** The backend reported an error inside the stream (status already 200). */
    record Failed(String message) implements StreamEvent {
    }

    /** Nothing for us: blank lines, SSE comments, fields we do not use. */
    record Skip() implements StreamEvent {
    }
}
