package dev.llmpool;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.main.Main;

/**
 * Boots the pool on camel-main. Configuration and routes are read from the working directory (editable while
 * running); when they are not there, the copies packaged in the jar are used.
 */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main(Application.class);
        boolean local = Files.isRegularFile(Path.of("application.properties"));
        main.setPropertyPlaceholderLocations(local ? "file:application.properties" : "classpath:application.properties");
        if (!Files.isDirectory(Path.of("routes"))) {
            main.addOverrideProperty("camel.main.routesIncludePattern", "classpath:routes/*.camel.yaml");
            main.addOverrideProperty("camel.main.routesReloadEnabled", "false");
        }
        main.run(args);
    }
}
