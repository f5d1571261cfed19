package dev.llmpool.logging;

/**
 * The one place where text a caller (or an operator's file) chose is made safe to show: in a log line, an error
 * message or a gRPC trailer. {@link #of} caps it and escapes every control character, quote and backslash, so a
 * value can neither end the line it is printed in (a forged {@code \n level=ERROR event=...}) nor close the
 * quotes around it, nor flood the log. Log calls put it in quotes: {@code reason="{}"}.
 */
public final class LogText {

    /** Caller text longer than this is cut (with a marker saying how long it was). */
    public static final int MAX_CHARS = 200;

    private LogText() {
    }

    /** The value capped at {@link #MAX_CHARS} and escaped; "null" for null. */
    public static String of(Object value) {
        return of(value, MAX_CHARS);
    }

    public static String of(Object value, int maxChars) {
        if (value == null) {
            return "null";
        }
        String s = value.toString();
        int n = Math.min(s.length(), maxChars);
        StringBuilder out = new StringBuilder(n + 16);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029'
                            || (Character.isSurrogate(c) && !validPair(s, i, n))) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (s.length() > maxChars) {
            out.append("...(").append(s.length()).append(" chars)");
        }
        return out.toString();
    }

    private static boolean validPair(String s, int i, int n) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
