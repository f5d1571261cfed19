package dev.llmpool.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads prompt templates, confined to the prompts directory ({@code pool.prompts.dir}): a template's content is
 * sent to the models, so a path that leaves the directory ({@code ../../etc/passwd}, {@code /proc/self/environ}),
 * or a symbolic link inside it that points out of it, is refused. A template not on disk is looked up among the
 * templates packaged in the jar ({@code prompts/} on the classpath), and only there: never elsewhere in the jar.
 */
final class PromptFiles {

    private static final String PACKAGED = "prompts/";

    private final Path dir;

    /** @param dir the prompts directory, resolved against the working directory */
    PromptFiles(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** The template {@code file} names (relative to {@code baseDir} or absolute); {@code key} names it in errors. */
    String read(String key, Path baseDir, String file) {
        Path path = baseDir.resolve(file).toAbsolutePath().normalize();
        if (!path.startsWith(dir) || path.equals(dir)) {
            throw new ConfigException(key + " must name a file inside the prompts directory " + dir
                    + " (pool.prompts.dir), got '" + file + "'");
        }
        if (Files.exists(path)) {
            try {
                Path real = path.toRealPath();
                if (!real.startsWith(Files.exists(dir) ? dir.toRealPath() : dir) || !Files.isRegularFile(real)) {
                    throw new ConfigException(key + " '" + file + "' leads out of the prompts directory or is not a file");
                }
                return Files.readString(real, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ConfigException(key + " '" + file + "' cannot be read");
            }
        }
        String packaged = PACKAGED + dir.relativize(path).toString().replace('\\', '/');
        try (InputStream in = PromptFiles.class.getClassLoader().getResourceAsStream(packaged)) {
            if (in != null) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            // reported as missing below
        }
        throw new ConfigException(key + " points to a missing prompt file '" + file + "'");
    }
}
