package dev.llmpool;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;

import org.apache.camel.main.Main;

/**
 * Boots the pool on camel-main. Configuration and routes are read from the working directory (editable while
 * running); when they are not there, the copies packaged in the jar are used.
 *
 * <p>Start-up (issue 7): camel-main finds classes and route files in a jar by reading the whole jar as a
 * stream, inflating every entry (about 110 MB for this one), once for a package scan and twice for a
 * {@code classpath:} pattern. So the one configuration class is named rather than scanned for, and the
 * packaged routes are listed from the jar's central directory and given by name.
 */
public final class Application {

    private static final String ROUTES = "routes/";
    private static final String ROUTE_SUFFIX = ".camel.yaml";

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        create().run(args);
    }

    /** The pool's camel-main, configured from the working directory (or the jar's copies); not yet started. */
    static Main create() throws IOException, URISyntaxException {
        Main main = new Main();
        main.configure().addConfiguration(PoolBeans.class);
        main.configure().addConfiguration(dev.llmpool.queues.QueueBeans.class);  // queue doors (issue 15)
        boolean local = Files.isRegularFile(Path.of("application.properties"));
        main.setPropertyPlaceholderLocations(local ? "file:application.properties" : "classpath:application.properties");
        if (!Files.isDirectory(Path.of("routes"))) {
            main.addOverrideProperty("camel.main.routesIncludePattern", packagedRoutes());
            main.addOverrideProperty("camel.main.routesReloadEnabled", "false");
        }
        return main;
    }

    /**
     * The route files packaged in the jar, as a list of {@code classpath:} locations; the pattern itself when
     * running from a classes directory (where scanning it is cheap).
     */
    static String packagedRoutes() throws IOException, URISyntaxException {
        Path codeSource = Path.of(Application.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isRegularFile(codeSource)) {
            return "classpath:" + ROUTES + "*" + ROUTE_SUFFIX;
        }
        try (JarFile jar = new JarFile(codeSource.toFile())) {
            return jar.stream().map(ZipEntry::getName)
                    .filter(n -> n.startsWith(ROUTES) && n.endsWith(ROUTE_SUFFIX) && n.indexOf('/', ROUTES.length()) < 0)
                    .sorted().map(n -> "classpath:" + n).collect(Collectors.joining(","));
        }
    }
}
