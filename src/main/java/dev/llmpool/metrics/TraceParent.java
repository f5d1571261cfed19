package dev.llmpool.metrics;

/** The W3C Trace Context header {@code traceparent}: {@code 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>}. */
public final class TraceParent {

    private TraceParent() {
    }

    /** The trace id of a well-formed header (lower-case hex, not all zeros), else null: never echoes other text. */
    public static String traceId(String header) {
        String h = header.trim();
        if (h.length() < 55 || h.charAt(2) != '-' || h.charAt(35) != '-' || h.charAt(52) != '-') {
            return null;
        }
        String id = h.substring(3, 35);
        return isHex(h.substring(0, 2)) && isHex(id) && isHex(h.substring(36, 52)) && isHex(h.substring(53, 55))
                && !id.equals("0".repeat(32)) ? id : null;
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }
}
