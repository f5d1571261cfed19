package dev.llmpool.routing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractCollection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes an edited route configuration (errors.camel.yaml's error handlers) reach every route at once. Camel's route
 * watcher reloads only the saved file, and a route keeps the route configuration it was built with, so without this
 * the routes of the other files would keep the old error handling until each file was saved again.
 *
 * <p>Bound under {@link RouteWatcherReloadStrategy#RELOAD_RESOURCES}, the extra resources the watcher looks up and
 * reloads with the saved file on every reload: when a file declaring a {@code routeConfiguration} has changed since
 * the last reload, that is every file whose routes name a {@code routeConfigurationId}; otherwise nothing. A broken
 * edit is rejected as the watcher rejects any file: the running routes keep their configuration.
 */
public final class RouteConfigurationEdits extends AbstractCollection<Resource> {

    private static final Logger LOG = LoggerFactory.getLogger(RouteConfigurationEdits.class);
    private static final Pattern DECLARES = Pattern.compile("(?m)^-\\s+routeConfiguration:");
    private static final Pattern USES = Pattern.compile("(?m)^\\s+routeConfigurationId:");

    private final CamelContext camel;
    private final Path dir;
    private final String suffix;
    private final Map<Path, String> configurationsSeen = new HashMap<>(); // guarded by this

    public RouteConfigurationEdits(CamelContext camel, Path dir, String suffix) {
        this.camel = camel;
        this.dir = dir;
        this.suffix = suffix;
        scan(); // what is on disk at start-up is what the routes were built with
    }

    /** The watcher iterates once per reload: a change of configuration is reported to that reload only. */
    @Override
    public Iterator<Resource> iterator() {
        List<Resource> due = new ArrayList<>();
        for (Path file : dueForReload()) {
            due.add(ResourceHelper.resolveResource(camel, "file:" + file.toAbsolutePath()));
        }
        return due.iterator();
    }

    @Override
    public int size() {
        return 0; // not known without consuming the change; the watcher only iterates
    }

    /** The files using a route configuration if one was edited since the last call, else none. */
    private List<Path> dueForReload() {
        List<Path> due = scan();
        if (!due.isEmpty()) {
            LOG.info("event=route_configuration_edited reloading={}",
                    due.stream().map(p -> p.getFileName().toString()).toList());
        }
        return due;
    }

    private synchronized List<Path> scan() {
        boolean edited = false;
        List<Path> users = new ArrayList<>();
        for (Path file : routeFiles()) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                continue; // gone or being replaced: the watcher reports the file itself
            }
            if (DECLARES.matcher(text).find()) {
                edited |= !text.equals(configurationsSeen.put(file, text));
            } else if (USES.matcher(text).find()) {
                users.add(file);
            }
        }
        return edited ? users : List.of();
    }

    private List<Path> routeFiles() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
