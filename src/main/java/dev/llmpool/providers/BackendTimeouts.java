package dev.llmpool.providers;

/**
 * camel-http sets timeouts per endpoint, not per call, and every distinct URI is an endpoint. Rounding the
 * remaining deadline up to two significant digits keeps a call's timeout within 10% of its deadline while
 * bounding the endpoints per provider to about 90 per decade of milliseconds.
 */
public final class BackendTimeouts {

    private BackendTimeouts() {
    }

    public static long roundUp(long millis) {
        if (millis <= 100) {
            return Math.max(1, millis);
        }
        long step = 1;
        for (long m = millis; m >= 100; m /= 10) {
            step *= 10;
        }
        return (millis + step - 1) / step * step;
    }
}
