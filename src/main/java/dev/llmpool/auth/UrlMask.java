package dev.llmpool.auth;

import java.util.regex.Pattern;

/** A URL as it may be shown (health report, logs): credentials in it ({@code user:password@}) replaced by {@code ***}. */
public final class UrlMask {

    private static final Pattern USER_INFO = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@?#]*@");

    private UrlMask() {
    }

    public static String mask(String url) {
        return url == null ? null : USER_INFO.matcher(url).replaceFirst("$1***@");
    }
}
