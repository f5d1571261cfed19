package dev.llmpool.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class MatchModeTest {

    @Test
    void exactComparesCharacterForCharacter() {
        assertTrue(MatchMode.EXACT.matches("Paris", "Paris"));
        assertFalse(MatchMode.EXACT.matches("Paris\n", "Paris"));
        assertFalse(MatchMode.EXACT.matches("paris", "Paris"));
    }

    @Test
    void normalisedIsWhatVotingCountsAsTheSameAnswer() {
        assertTrue(MatchMode.NORMALISED.matches("  The   Answer\n", "the answer"));
        assertTrue(MatchMode.NORMALISED.matches("{\"b\": 1, \"a\": [2]}", "{\"a\":[2],\"b\":1}"));
        assertFalse(MatchMode.NORMALISED.matches("the answer.", "the answer"));
    }

    @Test
    void jsonComparesValuesWhateverTheirSpelling() {
        assertTrue(MatchMode.JSON.matches("{\"b\": 1.0, \"a\": \"x\"}", "{\"a\":\"x\",\"b\":1}"));
        assertTrue(MatchMode.JSON.matches("```json\n[3, 1, 2]\n```", "[3,1,2]"), "a code fence around it is dropped");
        assertFalse(MatchMode.JSON.matches("[1, 2, 3]", "[3,1,2]"), "array order counts");
        assertFalse(MatchMode.JSON.matches("{\"a\": \"1\"}", "{\"a\":1}"), "a string is not a number");
        assertFalse(MatchMode.JSON.matches("Here it is: [3,1,2]", "[3,1,2]"), "not JSON: wrong, not an error");
    }

    @Test
    void regexIsFoundInTheAnswerUnlessAnchored() {
        assertTrue(MatchMode.REGEX.matches("{\"choice\": 2, \"reason\": \"closest\"}", "\"choice\"\\s*:\\s*2\\b"));
        assertFalse(MatchMode.REGEX.matches("{\"choice\": 21}", "\"choice\"\\s*:\\s*2\\b"));
        assertFalse(MatchMode.REGEX.matches("yes, I think", "^yes$"));
    }

    @Test
    void expectedValuesAModeCannotUseAreRefused() {
        assertEquals("expected is not JSON (match json)", MatchMode.JSON.invalidExpected("{oops"));
        assertTrue(MatchMode.REGEX.invalidExpected("(").startsWith("expected is not a valid regular expression"));
        assertNull(MatchMode.REGEX.invalidExpected("^a+$"));
        assertNull(MatchMode.EXACT.invalidExpected("{oops"));
        assertEquals(Optional.of(MatchMode.NORMALISED), MatchMode.parse("Normalized"));
        assertEquals(Optional.empty(), MatchMode.parse("fuzzy"));
    }
}
