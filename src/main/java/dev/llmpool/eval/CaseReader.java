package dev.llmpool.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

/**
 * Reads a JSON Lines file of cases: {@code {"prompt": "...", "expected": "...", "match": "..."}} per line (optional
 * {@code "id"}; other fields are ignored). Blank lines are skipped silently; a line that is not such an object is
 * skipped and reported with its line number, so one bad line never costs a whole run.
 */
final class CaseReader {

    /** A line that was skipped, and why. */
    record Skipped(int line, String reason) {
    }

    record Result(List<EvalCase> cases, List<Skipped> skipped) {
    }

    private final ObjectReader lines;

    CaseReader(ObjectMapper mapper) {
        this.lines = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);  // one value per line
    }

    Result read(Path file) throws IOException {
        List<EvalCase> cases = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String text = in.readLine(); text != null; text = in.readLine()) {
                number++;
                if (number == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1);  // a byte order mark some editors write
                }
                if (text.isBlank()) {
                    continue;
                }
                try {
                    cases.add(parse(number, text));
                } catch (BadLine e) {
                    skipped.add(new Skipped(number, e.getMessage()));
                }
            }
        }
        return new Result(List.copyOf(cases), List.copyOf(skipped));
    }

    private EvalCase parse(int number, String text) throws BadLine {
        JsonNode node;
        try {
            node = lines.readTree(text);
        } catch (IOException e) {
            throw new BadLine("not valid JSON: " + firstLine(e));
        }
        if (node == null || !node.isObject()) {
            throw new BadLine("not a JSON object");
        }
        JsonNode prompt = node.get("prompt");
        if (prompt == null || !prompt.isTextual() || prompt.asText().isBlank()) {
            throw new BadLine("\"prompt\" must be a non-empty string");
        }
        JsonNode expectedNode = node.get("expected");
        if (expectedNode == null || expectedNode.isNull()) {
            throw new BadLine("\"expected\" is missing");
        }
        String expected = expectedNode.isTextual() ? expectedNode.asText() : expectedNode.toString();
        MatchMode match = MatchMode.NORMALISED;
        JsonNode matchNode = node.get("match");
        if (matchNode != null && !matchNode.isNull()) {
            match = MatchMode.parse(matchNode.asText()).orElseThrow(() -> new BadLine("\"match\" must be exact, "
                    + "normalised, json or regex, got " + matchNode));
        }
        String invalid = match.invalidExpected(expected);
        if (invalid != null) {
            throw new BadLine(invalid);
        }
        JsonNode id = node.get("id");
        return new EvalCase(number, id == null || id.isNull() ? null : id.asText(), prompt.asText(), expected, match);
    }

    private static String firstLine(IOException e) {
        String message = e instanceof JsonProcessingException j
                ? j.getOriginalMessage() : e.getMessage();
        return message == null ? "" : message.lines().findFirst().orElse("");
    }

    private static final class BadLine extends Exception {
        BadLine(String message) {
            super(message, null, false, false);
        }
    }
}
