package dev.llmpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 6: every setting is declared once, in the table of docs/configuration.md (name, default, meaning,
 * whether it reloads), and everything else is checked against that declaration: each key the code or a route reads
 * is in the table, each key the table lists is read somewhere, each key application.properties sets is in it, and
 * each literal default in the code is the table's default.
 */
class SettingsDeclaredOnceTest {

    private static final Pattern TABLE_ROW = Pattern.compile("^\\| `(pool\\.[^`]+)` \\| ([^|]*)\\|", Pattern.MULTILINE);
    private static final Pattern CODE_KEY = Pattern.compile("\"(pool\\.[a-z0-9-]+(?:\\.[a-z0-9-]+)+)\"");
    private static final Pattern ROUTE_KEY = Pattern.compile("\\{\\{(?:configured:)?(pool\\.[a-z0-9.-]+)");
    /** Per-provider, per-task and per-tenant keys are read as a prefix plus a suffix: {@code k + "max-tokens"}. */
    private static final Pattern ENTITY_SUFFIX = Pattern.compile("\\bk \\+ \"([a-z][a-z0-9.-]*)\"");
    private static final Pattern INJECT_DEFAULT =
            Pattern.compile("@PropertyInject\\(value = \"(pool\\.[a-z0-9.-]+)\", defaultValue = \"([^\"]*)\"\\)");
    /** The loader's reads with a literal default: {@code get(p, "pool.x", "d")}, {@code positiveLong(p, k + "x", 4)}. */
    private static final Pattern READ_DEFAULT = Pattern.compile(
            "\\b(?:get|nonNegativeLong|positiveLong|number)\\(\\w+, (?:\"(pool\\.[a-z0-9.-]+)\"|k \\+ \"([a-z][a-z0-9.-]*)\"), "
                    + "(?:\"([^\"]*)\"|([0-9][0-9_.]*))\\)");
    private static final Pattern FIRST_CODE_SPAN = Pattern.compile("`([^`]*)`");
    private static final Pattern ENTITY_KEY = Pattern.compile("^pool\\.(providers|tasks|tenants)\\.[^.]+\\.(.+)$");

    /** The declaration: key (entity names written as {@code <>}) to its default cell. */
    private static Map<String, String> declared() {
        Map<String, String> rows = new TreeMap<>();
        Matcher m = TABLE_ROW.matcher(read(Path.of("docs/configuration.md")));
        while (m.find()) {
            rows.put(normalise(m.group(1)), m.group(2).trim());
        }
        return rows;
    }

    /** {@code pool.providers.gemma2.url} and {@code pool.providers.<name>.url} both become {@code pool.providers.<>.url}. */
    private static String normalise(String key) {
        Matcher entity = ENTITY_KEY.matcher(key);
        return entity.matches() ? "pool." + entity.group(1) + ".<>." + entity.group(2) : key.replaceAll("<[^>]*>", "<>");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> files(String dir, String suffix) {
        try (Stream<Path> walk = Files.walk(Path.of(dir))) {
            return walk.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> found(Pattern pattern, List<Path> in) {
        Set<String> keys = new TreeSet<>();
        for (Path file : in) {
            Matcher m = pattern.matcher(read(file));
            while (m.find()) {
                keys.add(m.group(1));
            }
        }
        return keys;
    }

    /** Whole keys named in Java sources and routes (entity keys are matched through their suffixes). */
    private static Set<String> readWhole() {
        Set<String> keys = new TreeSet<>(found(CODE_KEY, files("src/main/java", ".java")));
        keys.addAll(found(ROUTE_KEY, files("routes", ".yaml")));
        keys.removeIf(k -> ENTITY_KEY.matcher(k).matches());
        return keys;
    }

    @Test
    void everyKeyTheCodeOrARouteReadsIsDeclared() {
        Set<String> declared = declared().keySet();
        List<String> missing = new ArrayList<>();
        for (String key : readWhole()) {
            if (!declared.contains(key)) {
                missing.add(key);
            }
        }
        for (String suffix : found(ENTITY_SUFFIX, files("src/main/java", ".java"))) {
            boolean known = declared.stream().anyMatch(d -> d.matches("pool\\.(providers|tasks|tenants)\\.<>\\..*")
                    && (d.endsWith(".<>." + suffix) || suffix.endsWith(".") && d.contains(".<>." + suffix)));
            if (!known) {
                missing.add("pool.<entity>.<>." + suffix);
            }
        }
        assertEquals(List.of(), missing, "read by the code but not in docs/configuration.md's table");
    }

    @Test
    void everyDeclaredKeyIsRead() {
        Set<String> whole = readWhole();
        Set<String> suffixes = found(ENTITY_SUFFIX, files("src/main/java", ".java"));
        List<String> unread = new ArrayList<>();
        for (String key : declared().keySet()) {
            Matcher entity = Pattern.compile("^pool\\.(providers|tasks|tenants)\\.<>\\.(.+)$").matcher(key);
            boolean read = entity.matches()
                    ? suffixes.stream().anyMatch(s -> s.equals(entity.group(2)) || s.endsWith(".") && entity.group(2).startsWith(s))
                    : whole.contains(key);
            if (!read) {
                unread.add(key);
            }
        }
        assertEquals(List.of(), unread, "declared in docs/configuration.md but read nowhere");
    }

    @Test
    void everyKeyTheShippedPropertiesSetIsDeclared() {
        Set<String> declared = declared().keySet();
        List<String> missing = new ArrayList<>();
        for (String line : read(Path.of("application.properties")).split("\n")) {
            String setting = line.startsWith("#") ? line.substring(1).trim() : line.trim();
            int eq = setting.indexOf('=');
            if (setting.startsWith("pool.") && eq > 0 && !setting.substring(0, eq).contains(" ")) {
                String key = normalise(setting.substring(0, eq).trim());
                if (!declared.contains(key)) {
                    missing.add(key);
                }
            }
        }
        assertEquals(List.of(), missing, "set in application.properties but not in docs/configuration.md's table");
    }

    @Test
    void everyLiteralDefaultInTheCodeIsTheDeclaredDefault() {
        Map<String, String> declared = declared();
        Map<String, String> wrong = new TreeMap<>();
        for (Path file : files("src/main/java", ".java")) {
            String source = read(file);
            Matcher inject = INJECT_DEFAULT.matcher(source);
            while (inject.find()) {
                compare(declared, inject.group(1), inject.group(2), wrong);
            }
            Matcher m = READ_DEFAULT.matcher(source);
            while (m.find()) {
                String value = m.group(3) != null ? m.group(3) : m.group(4).replace("_", "");
                if (m.group(1) != null) {
                    compare(declared, m.group(1), value, wrong);
                } else {
                    // tenants are read by the access configuration, providers and tasks by the loader
                    String entities = source.contains("pool.tenants.") ? "pool.tenants." : "pool.(providers|tasks).";
                    List<String> keys = declared.keySet().stream()
                            .filter(d -> d.matches(entities + "<>\\." + Pattern.quote(m.group(2)))).toList();
                    if (keys.size() == 1) { // a suffix both providers and tasks have cannot be told apart here
                        compare(declared, keys.get(0), value, wrong);
                    }
                }
            }
        }
        assertEquals(Map.of(), wrong, "defaults that differ between the code and docs/configuration.md");
    }

    private static void compare(Map<String, String> declared, String key, String codeDefault, Map<String, String> wrong) {
        String cell = declared.get(key);
        if (cell == null) {
            return; // reported by everyKeyTheCodeOrARouteReadsIsDeclared
        }
        Matcher span = FIRST_CODE_SPAN.matcher(cell);
        String documented = span.find() ? span.group(1) : cell;
        boolean same = codeDefault.isEmpty()
                ? cell.startsWith("empty") || cell.startsWith("none") || cell.startsWith("off")
                : documented.equals(codeDefault);
        if (!same) {
            wrong.put(key, "code " + codeDefault + ", table " + cell);
        }
    }
}
