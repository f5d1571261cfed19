package dev.llmpool.ensemble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.config.ProviderConfig;
import dev.llmpool.config.ProviderConfig.BreakerSettings;
import dev.llmpool.providers.ProviderReply;
import dev.llmpool.routing.Plan;
import dev.llmpool.routing.PromptTemplate;

/** The decision rules on their own, without a service: when a vote is decided, how answers compare. */
class StrategyLogicTest {

    private static ProviderConfig provider(String name, double weight) {
        return new ProviderConfig(name, "http://x", ProviderConfig.Kind.OLLAMA, name + ":1b", weight, 4,
                new BreakerSettings(50, 5, 10, 10, 30, 1, 100, 0));
    }

    private static Tally tally(boolean json, String... providers) {
        List<ProviderConfig> ps = java.util.Arrays.stream(providers).map(p -> provider(p, p.length() / 10.0)).toList();
        long now = System.nanoTime();
        return new Tally(new Plan("r", "t", Strategy.VOTING, ps, null, "", "p", "p", 10, null,
                json ? TextNode.valueOf("json") : null, 0, 2.0 / 3, now, now + 1_000_000_000L, Map.of()));
    }

    private static void answer(Tally t, String provider, String content) {
        t.add(new Attempt(provider, provider, new ProviderReply(provider, provider, content, 1, 1, 5), null));
    }

    @Test
    void voteIsDecidedOnlyWhenTheOutstandingCannotCatchUp() {
        VotingStrategy voting = new VotingStrategy();
        Tally t = tally(false, "a", "bb", "ccc", "dddd");
        answer(t, "a", "yes");
        assertFalse(voting.isDecided(t), "1 vote, 3 outstanding");
        answer(t, "bb", "Yes ");
        assertFalse(voting.isDecided(t), "2 against a possible 2");
        answer(t, "ccc", "YES");
        assertTrue(voting.isDecided(t), "3 against at most 1");
    }

    @Test
    void failuresCountAsAnsweredButNotAsVotes() {
        VotingStrategy voting = new VotingStrategy();
        Tally t = tally(false, "a", "bb", "ccc");
        t.add(new Attempt("a", "a", null, "HTTP 500"));
        answer(t, "bb", "x");
        assertFalse(voting.isDecided(t), "1 vote against a possible 1");
        answer(t, "ccc", "x");
        assertTrue(voting.isDecided(t));
        assertEquals(1.0, voting.decide(t, false).agreement());
    }

    @Test
    void consensusIsDecidedAsSoonAsFailureIsCertain() {
        ConsensusStrategy consensus = new ConsensusStrategy();
        Tally three = tally(false, "a", "bb", "ccc");
        answer(three, "a", "one");
        answer(three, "bb", "two");
        assertFalse(consensus.isDecided(three), "the third could still make it 2 of 3, which meets 2/3");
        Tally four = tally(false, "a", "bb", "ccc", "dddd");
        answer(four, "a", "one");
        answer(four, "bb", "two");
        answer(four, "ccc", "three");
        assertTrue(consensus.isDecided(four), "at best 2 of 4 agree: below 2/3 whatever the last says");
    }

    @Test
    void jsonAnswersCompareCanonically() {
        assertEquals(AnswerNormaliser.normalise("{\"b\": [1, 2], \"a\": {\"y\":1,\"x\":2}}", true),
                AnswerNormaliser.normalise("{\"a\":{\"x\":2,\"y\":1},\"b\":[1,2]}", true));
        assertNotEquals(AnswerNormaliser.normalise("[1,2]", true), AnswerNormaliser.normalise("[2,1]", true),
                "array order is meaningful");
        assertEquals("hello world", AnswerNormaliser.normalise("  Hello\n\tWORLD ", false));
    }

    @Test
    void promptGoesIntoTheTemplateSlotOnce() {
        assertEquals("Q: hi {{prompt}}", PromptTemplate.render("Q: {{prompt}}", "hi {{prompt}}"));
        assertEquals("Intro\n\nhi", PromptTemplate.render("Intro\n", "hi"));
    }
}
