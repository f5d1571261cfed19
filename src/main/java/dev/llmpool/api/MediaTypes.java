package dev.llmpool.api;

import java.util.Locale;

/** Media-type checks on a caller's Content-Type, strict about the type and lenient about parameters. */
public final class MediaTypes {

    private MediaTypes() {
    }

    /**
     * True for {@code application/json}, with any parameters ({@code ; charset=utf-8}) and any case; false for
     * anything else, {@code application/jsonx} and {@code application/json-seq} included.
     */
    public static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
        return type.toLowerCase(Locale.ROOT).equals("application/json");
    }
}
