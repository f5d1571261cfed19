package dev.llmpool.ensemble;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The successful attempts of a tally grouped by normalised answer, ranked by a score (votes for VOTING and
 * CONSENSUS, weighted score for WEIGHTED), ties going to the group holding the highest provider weight.
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
        Map<String, List<Attempt>> byKey = new LinkedHashMap<>();
        for (Attempt a : tally.successes()) {
            byKey.computeIfAbsent(AnswerNormaliser.normalise(a.reply().content(), tally.plan().wantsJson()),
                    k -> new ArrayList<>()).add(a);
        }
        List<Group> groups = new ArrayList<>();
        byKey.forEach((key, members) -> groups.add(new Group(key, members,
                members.stream().mapToDouble(scoreOf).sum(),
                members.stream().mapToDouble(a -> tally.weightOf(a.provider())).max().orElse(0))));
        groups.sort(Comparator.comparingDouble(Group::score).thenComparingDouble(Group::bestWeight).reversed());
        this.ranked = groups;
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
