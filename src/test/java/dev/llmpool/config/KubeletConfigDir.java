package dev.llmpool.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A directory laid out as the kubelet lays out a mounted ConfigMap: the files live in a timestamped directory
 * ({@code ..2026_12_05_08_00_00.1}), {@code ..data} is a symbolic link to it, and each visible name is a link through
 * {@code ..data}. An update writes a new timestamped directory, points {@code ..data_tmp} at it, renames that over
 * {@code ..data} (the one atomic step) and deletes the old directory. The visible names never change, nor do their
 * links: only {@code ..data} does.
 */
final class KubeletConfigDir {

    private final Path dir;
    private final AtomicInteger generation = new AtomicInteger();

    private KubeletConfigDir(Path dir) {
        this.dir = dir;
    }

    static KubeletConfigDir create(Path dir, Map<String, String> files) throws IOException {
        Files.createDirectories(dir);
        KubeletConfigDir configMap = new KubeletConfigDir(dir);
        Path data = configMap.writeGeneration(files);
        Files.createSymbolicLink(dir.resolve("..data"), data.getFileName());
        for (String name : files.keySet()) {
            Files.createSymbolicLink(dir.resolve(name), Path.of("..data", name));
        }
        return configMap;
    }

    Path file(String name) {
        return dir.resolve(name);
    }

    /** The kubelet's update: same names, new contents, swapped in by one rename. */
    void swap(Map<String, String> files) throws IOException {
        Path old = Files.readSymbolicLink(dir.resolve("..data"));
        Path next = writeGeneration(files);
        Path tmp = dir.resolve("..data_tmp");
        Files.createSymbolicLink(tmp, next.getFileName());
        Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (Stream<Path> walk = Files.walk(dir.resolve(old))) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private Path writeGeneration(Map<String, String> files) throws IOException {
        Path generationDir = dir.resolve("..2026_12_05_08_00_00." + generation.incrementAndGet());
        Files.createDirectory(generationDir);
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(generationDir.resolve(f.getKey()), f.getValue());
        }
        return generationDir;
    }
}
