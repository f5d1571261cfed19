package dev.llmpool.eval;

/**
 * One labelled example.
 *
 * @param line     its line number in the data file (1-based), which names it in reports
 * @param id       the case's own {@code "id"} when it has one, else null
 * @param expected the expected answer as text (a JSON value that is not a string is kept as its JSON text)
 */
record EvalCase(int line, String id, String prompt, String expected, MatchMode match) {

    boolean isCorrect(String answer) {
        return match.matches(answer, expected);
    }
}
