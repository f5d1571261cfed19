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
 * {@code classpath:} pattern. So the one configuration class (PoolBeans, which has each package's beans made) is
 * named rather than scanned for, and the packaged routes are listed from the jar's central directory and given by
 * name.
 */
public final class Application {

    private static final String ROUTES = "routes/";
    private static final String ROUTE_SUFFIX = ".camel.yaml";

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("new-key")) {  // prints an API key and its SHA-256 (docs/access-control.md)
            dev.llmpool.auth.ApiKeys.printNewKey(System.out);
            return;
        }
        if (args.length > 0 && args[0].equals("eval")) {  // evaluation of strategies on labelled cases (README)
            dev.llmpool.eval.EvalCommand.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Main main = create();
        onSigterm(main);
        main.run(args);
    }

    /**
     * SIGTERM (Kubernetes, systemd, docker stop) starts the graceful shutdown (lifecycle.GracefulShutdown), which
     * exits with 0 when done; a second SIGTERM ends the process at once. The JVM's own handling of SIGTERM would run
     * the shutdown hooks instead: Log4j's stops logging while requests are still being answered, and once the hooks
     * run, a second SIGTERM can no longer end anything. SIGINT (Ctrl-C) keeps the JVM's handling.
     */
    private static void onSigterm(Main main) {
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
            var camel = main.getCamelContext();
            var shutdown = camel == null ? null
                    : camel.getRegistry().lookupByNameAndType("gracefulShutdown", dev.llmpool.lifecycle.GracefulShutdown.class);
            if (shutdown != null && shutdown.hasBegun()) {
                shutdown.force("second SIGTERM");
            } else if (shutdown == null || !camel.isStarted()) {
                System.exit(0); // still starting: nothing is in flight; camel-main's hook stops what has started
            } else {
                shutdown.begin(System::exit);
            }
        });
    }

    /** The pool's camel-main, configured from the working directory (or the jar's copies); not yet started. */
    public static Main create() throws IOException, URISyntaxException {
        Main main = new Main();
        main.configure().addConfiguration(PoolBeans.class);
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
