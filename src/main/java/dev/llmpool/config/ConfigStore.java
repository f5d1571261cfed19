package dev.llmpool.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.llmpool.logging.LogText;

/**
 * Holds the pool's current {@link PoolConfig} and reloads it when its file changes. A reload that fails
 * validation is logged and ignored: the previous snapshot stays in force. Values can be overridden by
 * system properties ({@code -Dpool.x=y}) and environment variables ({@code POOL_X_Y}), as for Camel's own keys.
 */
public class ConfigStore {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);

    private final Path file;
    private final ConfigLoader loader;
    private final Properties overrides;
    private final AtomicReference<PoolConfig> current = new AtomicReference<>();
    private final List<Consumer<PoolConfig>> listeners = new CopyOnWriteArrayList<>();
    private volatile String lastSignature = "";
    /** Whether the file was there at the last look (a missing file is logged once, not at every look). */
    private volatile boolean fileSeen = true;
    /** Other configuration read from the same properties (tenants and auth: dev.llmpool.auth), swapped with each snapshot. */
    private final List<Part<?>> parts = new CopyOnWriteArrayList<>();
    private volatile Properties lastProperties;
    private volatile PoolConfig[] withProviderTasks = {null, null};

    /**
     * @param file      the properties file to watch; when absent the packaged {@code application.properties} is used
     *                  and reload is off
     * @param overrides values that win over the file (tests, embedding)
     */
    public ConfigStore(Path file, Path baseDir, Properties overrides) {
        this.file = file;
        this.loader = new ConfigLoader(baseDir);
        this.overrides = overrides;
        this.fileSeen = file != null && Files.isRegularFile(file);
        Properties props = read(true);
        current.set(loader.load(props, 1));
        lastSignature = signature(props);
        lastProperties = props;
    }

    /**
     * Another part of the configuration, made by {@code load} from the same properties (e.g. tenants). It is loaded
     * now (a {@link ConfigException} fails start-up) and again on every reload, before anything is swapped: a part
     * that fails rejects the whole reload and the previous snapshot and parts stay in force.
     */
    public synchronized <T> Supplier<T> part(Function<Properties, T> load) {
        Part<T> part = new Part<>(load, load.apply(lastProperties));
        parts.add(part);
        return part;
    }

    /** One part's current value, and how to make the next. */
    private static final class Part<T> implements Supplier<T> {
        private final Function<Properties, T> load;
        private volatile T value;

        Part(Function<Properties, T> load, T value) {
            this.load = load;
            this.value = value;
        }

        @Override
        public T get() {
            return value;
        }

        /** Loads the next value; swapping it in is left to the returned action. */
        Runnable prepare(Properties props) {
            T next = load.apply(props);
            return () -> value = next;
        }
    }

    public PoolConfig current() {
        return current.get();
    }

    /** The current snapshot as the OpenAI- and Ollama-compatible APIs see it (see {@link PoolConfig#withProviderTasks}). */
    public PoolConfig currentWithProviderTasks() {
        PoolConfig base = current.get();
        PoolConfig[] memo = withProviderTasks;  // {base, derived}, made once per snapshot
        if (memo[0] != base) {
            memo = new PoolConfig[] {base, base.withProviderTasks()};
            withProviderTasks = memo;
        }
        return memo[1];
    }

    /** Called before a new snapshot becomes current (e.g. to create routes for new providers). */
    public void onChange(Consumer<PoolConfig> listener) {
        listeners.add(listener);
    }

    /** Re-reads the file; swaps in the new snapshot if it changed and is valid. Returns true if swapped. */
    public synchronized boolean reloadIfChanged() {
        Properties props;
        try {
            props = read(false);
        } catch (MissingFile e) {
            if (fileSeen) {
                fileSeen = false;
                LOG.warn("event=config_file_missing file={} effect=\"the last good configuration (version {}) stays in "
                        + "force until the file is back\"", file, current.get().version());
            }
            return false;
        } catch (RuntimeException e) {
            LOG.warn("event=config_reload_rejected file={} reason=\"{}\"", file, LogText.of(e.getMessage(), 500));
            return false;
        }
        fileSeen = true;
        String signature = signature(props);
        if (signature.equals(lastSignature)) {
            return false;
        }
        lastSignature = signature;
        try {
            PoolConfig next = loader.load(props, current.get().version() + 1);
            List<Runnable> nextParts = parts.stream().map(p -> p.prepare(props)).toList();
            listeners.forEach(l -> l.accept(next));
            current.set(next);
            nextParts.forEach(Runnable::run);
            lastProperties = props;
            LOG.info("event=config_reloaded file={} version={} providers={} tasks={}", file, next.version(),
                    next.providers().keySet(), next.tasks().keySet());
            return true;
        } catch (RuntimeException e) {
            LOG.error("event=config_reload_rejected file={} reason=\"{}\" kept_version={}", file, LogText.of(e.getMessage(), 500),
                    current.get().version());
            return false;
        }
    }

    /** The file gone while running (deleted, or moved aside by an editor): not a configuration to apply. */
    private static final class MissingFile extends RuntimeException {
        MissingFile() {
            super(null, null, false, false);
        }
    }

    /**
     * The file's properties with overrides. At start a missing file means the packaged configuration; once running
     * it means {@link MissingFile}: swapping in the jar's built-in providers would break every request.
     */
    private Properties read(boolean atStart) {
        Properties props = new Properties();
        try {
            if (!atStart && file != null && !Files.isRegularFile(file)) {
                throw new MissingFile();
            }
            if (file != null && Files.isRegularFile(file)) {
                try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    props.load(r);
                }
            } else {
                try (InputStream in = ConfigStore.class.getClassLoader().getResourceAsStream("application.properties")) {
                    if (in != null) {
                        props.load(in);
                    }
                }
            }
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage());
        }
        applyOverrides(props);
        return props;
    }

    private void applyOverrides(Properties props) {
        for (String key : props.stringPropertyNames()) {
            String env = System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
            if (env != null) {
                props.setProperty(key, env);
            }
        }
        System.getProperties().forEach((k, v) -> {
            if (k.toString().startsWith("pool.")) {
                props.setProperty(k.toString(), v.toString());
            }
        });
        props.putAll(overrides);
    }

    /** Prompt files count too: editing a template is a configuration change. */
    private String signature(Properties props) {
        StringBuilder sb = new StringBuilder(new java.util.TreeMap<>(props).toString());
        for (Map.Entry<Object, Object> e : props.entrySet()) {
            if (e.getKey().toString().endsWith(".prompt")) {
                sb.append(modified(Path.of(e.getValue().toString())));
            }
        }
        return sb.toString();
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return -1;
        }
    }
}
