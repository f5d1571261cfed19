package dev.llmpool.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every figure of every run, by name; the table shows their medians. */
final class Samples {

    private final Map<String, List<Double>> byName = new LinkedHashMap<>();

    void add(String name, double value) {
        byName.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }

    double last(String name) {
        List<Double> v = byName.get(name);
        return v.get(v.size() - 1);
    }

    /** The median of the runs, or NaN when the figure was not measured. */
    double median(String name) {
        List<Double> v = byName.get(name);
        if (v == null || v.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    Map<String, Double> medians() {
        Map<String, Double> m = new LinkedHashMap<>();
        byName.keySet().forEach(k -> m.put(k, round(median(k))));
        return m;
    }

    Map<String, List<Double>> all() {
        Map<String, List<Double>> m = new LinkedHashMap<>();
        byName.forEach((k, v) -> m.put(k, v.stream().map(Samples::round).toList()));
        return m;
    }

    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }
}
