package dev.llmpool.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The pom's {@code image} profile, read with the JDK's XML parser: its properties and its Jib plugin's configuration
 * (the image cannot be built here, as its base cannot be pulled; what it will be is read from here).
 */
record ImageProfile(Element profile, Element jib) {

    static ImageProfile read() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        for (Element profile : children(pom.getDocumentElement(), "profiles", "profile")) {
            if (text(profile, "id").equals("image")) {
                for (Element plugin : children(profile, "build", "plugins", "plugin")) {
                    if (text(plugin, "artifactId").equals("jib-maven-plugin")) {
                        return new ImageProfile(profile, plugin);
                    }
                }
                throw new AssertionError("the image profile has no jib-maven-plugin");
            }
        }
        throw new AssertionError("pom.xml has no profile 'image'");
    }

    /** A property of the profile ({@code ${...}} in the plugin's configuration is resolved with these). */
    String property(String name) {
        return text(profile, "properties", name);
    }

    /** The text of the Jib plugin element at this path, with the profile's properties filled in. */
    String jib(String... path) {
        String value = text(jib, path);
        for (Element p : children(profile, "properties")) {
            for (Node n = p.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e) {
                    value = value.replace("${" + e.getTagName() + "}", e.getTextContent().trim());
                }
            }
        }
        return value;
    }

    List<String> jibList(String... path) {
        List<String> values = new ArrayList<>();
        for (Element e : children(jib, path)) {
            values.add(e.getTextContent().trim());
        }
        return values;
    }

    List<Element> jibElements(String... path) {
        return children(jib, path);
    }

    /** The container's working directory (where the ConfigMap goes). */
    String workingDirectory() {
        return jib("configuration", "container", "workingDirectory");
    }

    /** The container's user id (uid of "uid:gid"). */
    long userId() {
        return Long.parseLong(jib("configuration", "container", "user").split(":")[0]);
    }

    /** The image's repository name, without its tag. */
    String imageRepository() {
        String to = jib("configuration", "to", "image");
        return to.substring(0, to.lastIndexOf(':')).replace("${project.version}", "");
    }

    static String text(Element from, String... path) {
        List<Element> found = children(from, path);
        return found.isEmpty() ? "" : found.get(0).getTextContent().trim();
    }

    /** The elements at the end of the path of child tag names (every match of the last step). */
    static List<Element> children(Element from, String... path) {
        List<Element> level = List.of(from);
        for (String step : path) {
            List<Element> next = new ArrayList<>();
            for (Element e : level) {
                NodeList nodes = e.getChildNodes();
                for (int i = 0; i < nodes.getLength(); i++) {
                    if (nodes.item(i) instanceof Element c && c.getTagName().equals(step)) {
                        next.add(c);
                    }
                }
            }
            level = next;
        }
        return level;
    }
}
