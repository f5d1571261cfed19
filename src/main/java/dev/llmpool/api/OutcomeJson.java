package dev.llmpool.api;

import java.io.IOException;
import java.io.StringWriter;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.llmpool.ensemble.Outcome;

/**
 * The contract's 200 body for one {@link Outcome}, its outcome-only parts rendered to JSON text once, so that a
 * body is the request's own fields (request id, task, duration, from_cache) joined with them. The response cache
 * keeps one beside each cached answer: a cache hit renders nothing but those four fields.
 *
 * <p>Field order: request_id, task, content, winner_model, winner_provider, strategy_used, finish_reason,
 * models_queried, duration_ms, from_cache, hedged, usage (the answer's own), usage_total (every call), then votes, agreement and judge when the strategy has them.
 */
public final class OutcomeJson {


    /** {@code ,"content":...,"models_queried":[...]} */
    private final String middle;
    /** {@code ,"hedged":...,"usage":{...}[,"votes":...][,"agreement":...][,"judge":...]}} */
    private final String tail;

    private OutcomeJson(String middle, String tail) {
        this.middle = middle;
        this.tail = tail;
    }

    public static OutcomeJson render(Outcome o, ObjectMapper mapper) {
        try {
            StringWriter middle = new StringWriter(160);
            try (JsonGenerator g = mapper.getFactory().createGenerator(middle)) {
                g.writeStartObject();
                g.writeStringField("content", o.winner().content());
                g.writeStringField("winner_model", o.winner().model());
                g.writeStringField("winner_provider", o.winner().provider());
                g.writeStringField("strategy_used", o.strategy().name());
                g.writeStringField("finish_reason", o.winner().finishReason());
                g.writeArrayFieldStart("models_queried");
                for (String model : o.modelsQueried()) {
                    g.writeString(model);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            StringWriter tail = new StringWriter(96);
            try (JsonGenerator g = mapper.getFactory().createGenerator(tail)) {
                g.writeStartObject();
                g.writeBooleanField("hedged", o.hedged());
                g.writeObjectFieldStart("usage");
                g.writeNumberField("prompt_tokens", o.promptTokens());
                g.writeNumberField("completion_tokens", o.completionTokens());
                g.writeEndObject();
                g.writeObjectFieldStart("usage_total");
                g.writeNumberField("prompt_tokens", o.usageTotal().promptTokens());
                g.writeNumberField("completion_tokens", o.usageTotal().completionTokens());
                g.writeEndObject();
                if (o.votes() != null) {
                    g.writeObjectFieldStart("votes");
                    for (Map.Entry<String, Integer> vote : o.votes().entrySet()) {
                        g.writeNumberField(vote.getKey(), vote.getValue());
                    }
                    g.writeEndObject();
                }
                if (o.agreement() != null) {
                    g.writeNumberField("agreement", o.agreement());
                }
                if (o.judge() != null) {
                    g.writeFieldName("judge");
                    g.writeObject(o.judge());
                }
                g.writeEndObject();
            }
            // "{...}" -> ",..." (the middle part) and ",...}" (the tail)
            return new OutcomeJson("," + inner(middle.toString()), "," + inner(tail.toString()) + "}");
        } catch (IOException e) {
            throw new IllegalStateException("cannot render an answer", e);
        }
    }

    /** The body for one request. */
    public String body(String requestId, String task, long durationMs, boolean fromCache) {
        StringBuilder b = new StringBuilder(middle.length() + tail.length() + 128);
        b.append("{\"request_id\":");
        quote(b, requestId);
        b.append(",\"task\":");
        quote(b, task);
        b.append(middle).append(",\"duration_ms\":").append(durationMs).append(",\"from_cache\":").append(fromCache);
        return b.append(tail).toString();
    }

    private static String inner(String object) {
        return object.substring(1, object.length() - 1);
    }

    private static void quote(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
        } else {
            b.append('"');
            JsonStringEncoder.getInstance().quoteAsString(s, b);
            b.append('"');
        }
    }
}
