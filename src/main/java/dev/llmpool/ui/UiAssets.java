package dev.llmpool.ui;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.api.HttpReply;

/**
 * The operations page's files, from the jar ({@code ui/} on the class path), read once at start. Only the files
 * named here are served: a path is never resolved against a directory. {@code GET /ui/} is index.html.
 */
public class UiAssets implements Processor {

    /** Exchange header platform-http sets from the route's {@code /ui/{file}} path. */
    static final String FILE = "file";
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "style.css", "text/css; charset=utf-8");

    private final Map<String, byte[]> files;

    public UiAssets() {
        files = Map.of("index.html", read("index.html"), "app.js", read("app.js"), "style.css", read("style.css"));
    }

    @Override
    public void process(Exchange exchange) {
        String name = exchange.getIn().getHeader(FILE, "index.html", String.class);
        byte[] body = files.get(name);
        if (body == null) {
            HttpReply.set(exchange, 404, "text/plain; charset=utf-8", "not found", Map.of());
            return;
        }
        HttpReply.set(exchange, 200, TYPES.get(name), body, Map.of("Cache-Control", "no-cache",
                "X-Content-Type-Options", "nosniff"));
    }

    private static byte[] read(String name) {
        try (InputStream in = UiAssets.class.getClassLoader().getResourceAsStream("ui/" + name)) {
            if (in == null) {
                throw new IllegalStateException("ui/" + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
