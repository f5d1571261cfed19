package dev.llmpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * Hot reload behind a mounted Kubernetes ConfigMap (issue 21): the configuration and a prompt template are links
 * through {@code ..data}, and the kubelet replaces them by swapping that link (KubeletConfigDir). The pool picks up
 * an edit of either.
 */
class ConfigMapReloadTest extends PoolTestSupport {

    private static final Duration RELOAD_WAIT = Duration.ofSeconds(15);
    private static final String TEMPLATE = "Describe this.\n{{prompt}}\n";

    private KubeletConfigDir configMap;
    private String configText;

    @Override
    protected String extraConfig() {
        return "pool.limits.max-deadline-ms=20000\n";
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        try {
            Path dir = workDir.resolve("configmap");
            // as in deploy/k8s: the templates lie beside the configuration, the prompts directory is that directory
            configText = Files.readString(configFile).replace("=prompts/", "=" + dir + "/")
                    + "\npool.prompts.dir=" + dir + "\n";
            configMap = KubeletConfigDir.create(dir, files(configText, TEMPLATE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        p.put("pool.config.file", configMap.file("application.properties").toString());
        return p;
    }

    /** The ConfigMap's files: the configuration, the project's templates, and enrich_metadata's as given. */
    private static Map<String, String> files(String config, String template) throws IOException {
        Map<String, String> files = new HashMap<>();
        try (Stream<Path> prompts = Files.list(Path.of("prompts"))) {
            for (Path p : prompts.filter(p -> p.toString().endsWith(".md")).toList()) {
                files.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        files.put("application.properties", config);
        files.put("enrich_metadata.md", template);
        return files;
    }

    private HttpResponse<String> ask() {
        return infer("{\"task\":\"enrich_metadata\",\"prompt\":\"a cat video\",\"cache\":false}");
    }

    @Test
    void theFilesAreLinksThroughDataAsTheKubeletMakesThem() throws IOException {
        assertTrue(Files.isSymbolicLink(configMap.file("application.properties")));
        assertEquals(Path.of("..data", "application.properties"),
                Files.readSymbolicLink(configMap.file("application.properties")));
        assertEquals("phi3", json(ask()).path("winner_provider").asText());
    }

    @Test
    void anEditedConfigurationSwappedInIsApplied() throws IOException {
        assertEquals("phi3", json(ask()).path("winner_provider").asText());
        configMap.swap(files(configText.replace("pool.tasks.enrich_metadata.providers=phi3",
                "pool.tasks.enrich_metadata.providers=gemma2"), TEMPLATE));
        assertTrue(eventually(RELOAD_WAIT, () -> "gemma2".equals(json(ask()).path("winner_provider").asText())),
                "the task now uses gemma2");
    }

    @Test
    void anEditedPromptTemplateSwappedInIsApplied() throws IOException {
        assertEquals(200, ask().statusCode());
        assertFalse(sentPrompt().contains("Summarise this."));
        configMap.swap(files(configText, "Summarise this.\n{{prompt}}\n"));
        assertTrue(eventually(RELOAD_WAIT, () -> ask().statusCode() == 200 && sentPrompt().contains("Summarise this.")),
                "the new template reaches the backend: " + sentPrompt());
        assertTrue(sentPrompt().contains("a cat video"));
    }

    private static String sentPrompt() {
        return A.lastRequest("phi3:mini").path("messages").path(0).path("content").asText();
    }
}
