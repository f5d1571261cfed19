package dev.llmpool.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/**
 * {@code mvn -Pimage package} (issue 21): the OCI image Jib builds as a tar without a Docker daemon. Its base image
 * cannot be pulled on this machine, so its configuration is checked here: what it is built from, how it starts, as
 * whom, where, and with which files. (Built with {@code -Dimage.base=scratch}, the same profile gives a tar whose
 * config.json holds this entrypoint, user and working directory: docs/deploy.md.)
 */
class ImageProfileTest {

    private static final Pattern JAVA_BASE = Pattern.compile(
            "(?:eclipse-temurin:(\\d+)(?:[.\\d]*)-jre.*|gcr\\.io/distroless/java(\\d+)-debian\\d+(?::.*)?)");

    @Test
    void jibBuildsTheTarAtPackageTime() throws Exception {
        ImageProfile image = ImageProfile.read();
        assertEquals("com.google.cloud.tools", ImageProfile.text(image.jib(), "groupId"));
        assertEquals("3.5.2", ImageProfile.text(image.jib(), "version"));
        assertEquals(List.of("buildTar"), image.jibList("executions", "execution", "goals", "goal"));
        assertEquals("package", image.jib("executions", "execution", "phase"));
        assertEquals("${project.build.directory}/llm-pool-image.tar", image.jib("configuration", "outputPaths", "tar"));
    }

    @Test
    void theBaseIsATemurinOrDistrolessJavaOf17OrLater() throws Exception {
        String base = ImageProfile.read().jib("configuration", "from", "image");
        Matcher m = JAVA_BASE.matcher(base);
        assertTrue(m.matches(), "a Temurin JRE or distroless Java base, named in the pom: " + base);
        int java = Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2));
        assertTrue(java >= 17, "Java 17 or later: " + base);
        List<String> flags = ImageProfile.read().jibList("configuration", "container", "jvmFlags", "jvmFlag");
        if (flags.contains("-XX:+AutoCreateSharedArchive")) {
            assertTrue(java >= 19, "-XX:+AutoCreateSharedArchive needs JDK 19 or later: " + base);
        }
    }

    @Test
    void itStartsTheApplicationWithContainerAwareJvmFlags() throws Exception {
        ImageProfile image = ImageProfile.read();
        String mainClass = image.jib("configuration", "container", "mainClass");
        Method main = Class.forName(mainClass).getMethod("main", String[].class);
        assertTrue(Modifier.isStatic(main.getModifiers()), mainClass + " has a static main");
        List<String> flags = image.jibList("configuration", "container", "jvmFlags", "jvmFlag");
        assertTrue(flags.stream().anyMatch(f -> f.matches("-XX:MaxRAMPercentage=\\d+(\\.\\d+)?")),
                "the heap follows the container's memory limit: " + flags);
        assertTrue(flags.stream().anyMatch(f -> f.startsWith("-XX:SharedArchiveFile=/tmp/")),
                "the class data sharing archive goes where the container may write (an emptyDir at /tmp): " + flags);
        assertEquals(List.of("7071", "7070"), image.jibList("configuration", "container", "ports", "port"));
    }

    @Test
    void itRunsAsANonRootUserInAWorkingDirectoryHoldingTheEditableFiles() throws Exception {
        ImageProfile image = ImageProfile.read();
        assertNotEquals(0, image.userId(), "not root");
        assertTrue(image.jib("configuration", "container", "user").matches("\\d+:\\d+"),
                "numeric, so that Kubernetes' runAsNonRoot can check it");
        String workDir = image.workingDirectory();
        assertTrue(workDir.startsWith("/") && !workDir.startsWith("/app"),
                "a directory of its own, apart from Jib's /app: " + workDir);
        List<Element> extras = image.jibElements("configuration", "extraDirectories", "paths", "path");
        assertEquals(1, extras.size());
        assertEquals("${project.basedir}", ImageProfile.text(extras.get(0), "from"));
        assertEquals(workDir, ImageProfile.text(extras.get(0), "into"));
        assertEquals(List.of("application.properties", "routes/*.camel.yaml", "prompts/*.md"),
                List.of(ImageProfile.text(extras.get(0), "includes").split(",")));
    }
}
