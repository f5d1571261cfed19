package dev.llmpool.streaming;

/** One line of a backend's streamed answer, decoded. */
sealed interface StreamEvent {

    /** A piece of content (may be empty: a role-only or keep-alive chunk). */
    record Token(String text) implements StreamEvent {
    }

    /**
     * The answer is complete; token counts as the backend reported them (-1 when this line carries none: OpenAI's
     * end marker), and its finish reason (null when this line carries none).
     */
    record Done(String model, long promptTokens, long completionTokens, String finishReason) implements StreamEvent {
    }

    /**
     * What an OpenAI chunk says besides content, before the end marker: its usage (any chunk may carry it: a chunk
     * with empty {@code choices}, or llama.cpp's and vLLM's finish chunk), and its finish reason; each null when absent.
     */
    record Meta(String text, long[] usage, String finishReason) implements StreamEvent {
    }

    /** The backend reported an error inside the stream (status already 200). */
    record Failed(String message) implements StreamEvent {
    }

    /** Nothing for us: blank lines, SSE comments, fields we do not use. */
    record Skip() implements StreamEvent {
    }
}
