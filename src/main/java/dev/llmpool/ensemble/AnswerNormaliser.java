package dev.llmpool.ensemble;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Makes answers that say the same thing compare equal: JSON is written canonically (sorted keys, no spacing)
 * so key order does not split a vote; text is trimmed, whitespace collapsed and lower-cased.
 */
public final class AnswerNormaliser {

    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private AnswerNormaliser() {
    }

    public static String normalise(String answer, boolean json) {
        String trimmed = answer.strip();
        if (json || trimmed.startsWith("{") || trimmed.startsWith("[")) {
            try {
                JsonNode tree = CANONICAL.readTree(trimmed);
                if (tree != null && (tree.isContainerNode() || json)) {
                    Object plain = CANONICAL.treeToValue(tree, Object.class);
                    return CANONICAL.writeValueAsString(plain);
                }
            } catch (Exception notJson) {
                // fall back to text comparison
            }
        }
        return trimmed.replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }
}
