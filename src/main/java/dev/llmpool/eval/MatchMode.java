package dev.llmpool.eval;

import java.math.BigDecimal;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.llmpool.ensemble.AnswerNormaliser;

/** How a case's answer is compared with its expected value. */
enum MatchMode {
    /** The answer is the expected text, character for character. */
    EXACT,
    /** Equal after VOTING's normalisation ({@link AnswerNormaliser}): what VOTING counts as the same answer. */
    NORMALISED,
    /** Both are JSON and equal as values: key order, spacing and number spelling (1, 1.0) do not matter. */
    JSON,
    /** The expected value is a Java regular expression found in the answer (anchor it with ^...$ for all of it). */
    REGEX;

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** A Markdown code fence around the whole answer, which models often add to JSON. */
    private static final Pattern FENCE = Pattern.compile("(?s)^```[a-zA-Z]*\\s*\\n(.*?)\\n?```$");
    /** JSON values equal as values: numbers by their decimal value, everything else as Jackson compares. */
    private static final Comparator<JsonNode> SAME_VALUE = (a, b) -> a.isNumber() && b.isNumber()
            ? new BigDecimal(a.asText()).compareTo(new BigDecimal(b.asText()))
            : a.equals(b) ? 0 : 1;

    static Optional<MatchMode> parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "exact" -> Optional.of(EXACT);
            case "normalised", "normalized" -> Optional.of(NORMALISED);
            case "json" -> Optional.of(JSON);
            case "regex" -> Optional.of(REGEX);
            default -> Optional.empty();
        };
    }

    /** Why the expected value cannot be used with this mode, or null when it can. */
    String invalidExpected(String expected) {
        if (this == JSON && json(expected) == null) {
            return "expected is not JSON (match json)";
        }
        if (this == REGEX) {
            try {
                Pattern.compile(expected);
            } catch (RuntimeException e) {
                return "expected is not a valid regular expression: " + e.getMessage().lines().findFirst().orElse("");
            }
        }
        return null;
    }

    boolean matches(String answer, String expected) {
        return switch (this) {
            case EXACT -> answer.equals(expected);
            case NORMALISED -> AnswerNormaliser.normalise(answer, false).equals(AnswerNormaliser.normalise(expected, false));
            case JSON -> {
                JsonNode got = json(unfenced(answer));
                yield got != null && got.equals(SAME_VALUE, json(expected));
            }
            case REGEX -> Pattern.compile(expected).matcher(answer).find();
        };
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    private static String unfenced(String answer) {
        String trimmed = answer.strip();
        Matcher m = FENCE.matcher(trimmed);
        return m.matches() ? m.group(1) : trimmed;
    }

    /** The JSON value of the text, or null when it is not one JSON value. */
    private static JsonNode json(String text) {
        try {
            JsonNode node = MAPPER.readTree(text);
            return node == null || node.isMissingNode() ? null : node;
        } catch (Exception e) {
            return null;
        }
    }
}
