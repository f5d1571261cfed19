package dev.llmpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 23 item 7 (and 11): prompt templates stay inside the prompts directory, numbers are finite, and provider
 * URLs are real http(s) base URLs that do not point at link-local or cloud-metadata addresses unless allowed.
 */
class ConfigHardeningTest {

    private static Properties shipped() throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(Path.of("application.properties"))));
        return p;
    }

    private static String rejection(Path baseDir, String key, String value) throws IOException {
        Properties p = shipped();
        p.setProperty(key, value);
        return assertThrows(ConfigException.class, () -> new ConfigLoader(baseDir).load(p, 1)).getMessage();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../etc/passwd", "/etc/passwd", "/proc/self/environ", "prompts/../pom.xml",
            "META-INF/MANIFEST.MF", "prompts/../../../../etc/shadow"})
    void aPromptOutsideThePromptsDirectoryIsRefused(String file) throws IOException {
        String task = rejection(Path.of("."), "pool.tasks.expand_queries.prompt", file);
        assertTrue(task.contains("pool.tasks.expand_queries.prompt") && task.contains("prompts directory"), task);
        String judge = rejection(Path.of("."), "pool.judge.prompt", file);
        assertTrue(judge.contains("pool.judge.prompt"), judge);
    }

    @Test
    void aSymlinkLeadingOutOfThePromptsDirectoryIsRefused() throws IOException {
        Path base = Files.createTempDirectory("llmpool-prompts");
        Path prompts = Files.createDirectory(base.resolve("prompts"));
        for (String name : new String[] {"expand_queries", "enrich_metadata", "recovery_plan", "site_tactics",
                "rerank_candidates", "judge_task", "judge"}) {
            Files.copy(Path.of("prompts", name + ".md"), prompts.resolve(name + ".md"));
        }
        Path secret = Files.writeString(base.resolve("secret.txt"), "api-key=hunter2 {{prompt}}");
        Files.createSymbolicLink(prompts.resolve("evil.md"), secret);
        assertEquals(6, new ConfigLoader(base).load(shipped(), 1).tasks().size(), "the copy itself loads");
        String message = rejection(base, "pool.tasks.expand_queries.prompt", "prompts/evil.md");
        assertTrue(message.contains("leads out of the prompts directory"), message);
    }

    @Test
    void aMissingPromptIsNotLookedUpElsewhereInTheJar() throws IOException {
        // the jar's own files (META-INF/MANIFEST.MF, application.properties) are never a template
        String message = rejection(Path.of("."), "pool.tasks.expand_queries.prompt", "prompts/../application.properties");
        assertTrue(message.contains("prompts directory"), message);
        String missing = rejection(Path.of("."), "pool.tasks.expand_queries.prompt", "prompts/nope.md");
        assertTrue(missing.contains("missing prompt file"), missing);
    }

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "Infinity", "-Infinity"})
    void nonFiniteNumbersAreRefused(String value) throws IOException {
        String message = rejection(Path.of("."), "pool.providers.phi3.weight", value);
        assertTrue(message.contains("pool.providers.phi3.weight"), message);
        assertTrue(rejection(Path.of("."), "pool.tasks.expand_queries.consensus-threshold", value)
                .contains("consensus-threshold"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://169.254.169.254/latest/meta-data", "http://[fe80::1]:8080", "http://metadata.google.internal",
            "http://100.100.100.200", "http://[::ffff:169.254.169.254]", "http://2852039166/", "http://169.254.1.1:11434"})
    void linkLocalAndMetadataAddressesAreRefusedUnlessAllowed(String url) throws IOException {
        String message = rejection(Path.of("."), "pool.providers.phi3.url", url);
        assertTrue(message.contains("allow-link-local"), message);
        Properties allowed = shipped();
        allowed.setProperty("pool.providers.phi3.url", url);
        allowed.setProperty("pool.providers.phi3.allow-link-local", "true");
        assertEquals(url.endsWith("/") ? url.substring(0, url.length() - 1) : url,
                new ConfigLoader(Path.of(".")).load(allowed, 1).provider("phi3").url());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://host/x", "file:///etc/passwd", "http://", "http://host:99999",
            "http://host:0", "http://host/?sslContextParameters=#x", "http://host/#frag", "localhost:11434", "http:///x"})
    void aUrlThatIsNotAnHttpBaseUrlIsRefused(String url) throws IOException {
        String message = rejection(Path.of("."), "pool.providers.phi3.url", url);
        assertTrue(message.startsWith("pool.providers.phi3.url"), message);
    }

    @Test
    void credentialsInUrlsAreMasked() throws IOException {
        assertEquals("http://***@host:1/v1", ProviderUrls.masked("http://user:secret@host:1/v1"));
        assertEquals("https://***@host", ProviderUrls.masked("https://token@host"));
        assertEquals("http://host:1/a@b", ProviderUrls.masked("http://host:1/a@b"));
        String message = rejection(Path.of("."), "pool.providers.phi3.url", "ftp://user:secret@host/");
        assertFalse(message.contains("secret"), message);
    }
}
