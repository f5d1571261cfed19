package dev.llmpool.ensemble;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The successful attempts of a tally grouped by answer, ranked by a score (votes for VOTING and CONSENSUS, weighted
 * score for WEIGHTED), ties going to the group holding the highest provider weight.
 *
 * <p>How answers group is the plan's {@link Similarity}: by normalised text ({@code EXACT}), or by meaning
 * ({@code SEMANTIC}): an answer joins the group whose first answer's embedding is the most similar to its own, if
 * that cosine similarity reaches the plan's threshold, else it starts a group. An answer with the same normalised
 * text as one already grouped joins that group either way, and one without an embedding (see
 * {@link AnswerEmbeddings}) groups by text only. A group's key in {@code votes} is its representative's normalised
 * answer.
 */
final class AnswerGroups {

    record Group(String key, List<Attempt> members, double score, double bestWeight) {
        int votes() {
            return members.size();
        }

        /** The member from the highest-weight provider answers for the group. */
        Attempt representative(Tally tally) {
            return members.stream().max(Comparator.comparingDouble(a -> tally.weightOf(a.provider()))).orElseThrow();
        }
    }

    private final List<Group> ranked;

    AnswerGroups(Tally tally, ToDoubleFunction<Attempt> scoreOf) {
        List<Group> groups = new ArrayList<>();
        for (List<Attempt> members : tally.plan().similarity() == Similarity.SEMANTIC ? bySimilarity(tally) : byText(tally)) {
            Group unkeyed = new Group(null, members, 0, 0);
            String key = textOf(unkeyed.representative(tally), tally);
            groups.add(new Group(key, members,
                    members.stream().mapToDouble(scoreOf).sum(),
                    members.stream().mapToDouble(a -> tally.weightOf(a.provider())).max().orElse(0)));
        }
        groups.sort(Comparator.comparingDouble(Group::score).thenComparingDouble(Group::bestWeight).reversed());
        this.ranked = groups;
    }

    private static String textOf(Attempt a, Tally tally) {
        return AnswerNormaliser.normalise(a.reply().content(), tally.plan().wantsJson());
    }

    private static List<List<Attempt>> byText(Tally tally) {
        Map<String, List<Attempt>> byKey = new LinkedHashMap<>();
        for (Attempt a : tally.successes()) {
            byKey.computeIfAbsent(textOf(a, tally), k -> new ArrayList<>()).add(a);
        }
        return new ArrayList<>(byKey.values());
    }

    private static List<List<Attempt>> bySimilarity(Tally tally) {
        List<List<Attempt>> groups = new ArrayList<>();
        for (Attempt a : tally.successes()) {
            List<Attempt> home = sameText(groups, a, tally);
            if (home == null && a.embedding() != null) {
                double best = tally.plan().similarityThreshold();
                for (List<Attempt> g : groups) {
                    float[] seed = seedOf(g);
                    double similarity = seed == null ? -1 : AnswerEmbeddings.cosine(seed, a.embedding());
                    if (similarity >= best) {
                        best = similarity;
                        home = g;
                    }
                }
            }
            if (home == null) {
                home = new ArrayList<>();
                groups.add(home);
            }
            home.add(a);
        }
        return groups;
    }

    private static List<Attempt> sameText(List<List<Attempt>> groups, Attempt a, Tally tally) {
        String text = textOf(a, tally);
        for (List<Attempt> g : groups) {
            for (Attempt member : g) {
                if (textOf(member, tally).equals(text)) {
                    return g;
                }
            }
        }
        return null;
    }

    /** The embedding a group is compared by: its first member's that has one. */
    private static float[] seedOf(List<Attempt> group) {
        for (Attempt member : group) {
            if (member.embedding() != null) {
                return member.embedding();
            }
        }
        return null;
    }

    List<Group> ranked() {
        return ranked;
    }

    boolean isEmpty() {
        return ranked.isEmpty();
    }

    Group top() {
        return ranked.get(0);
    }

    /** Score of the runner-up group, or 0. */
    double secondScore() {
        return ranked.size() > 1 ? ranked.get(1).score() : 0;
    }

    Map<String, Integer> votes() {
        Map<String, Integer> m = new LinkedHashMap<>();
        ranked.forEach(g -> m.put(g.key(), g.votes()));
        return m;
    }

    double agreement() {
        int total = ranked.stream().mapToInt(Group::votes).sum();
        return total == 0 ? 0 : (double) top().votes() / total;
    }
}
