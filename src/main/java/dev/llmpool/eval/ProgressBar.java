package dev.llmpool.eval;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr, redrawn in place ({@code \r}) at most every {@link #REDRAW_NANOS} and once at
 * the end, so a run of thousands of cases stays readable and a log file of it stays short.
 */
final class ProgressBar {

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintStream err;
    private final int total;
    private int done;
    private long lastDrawn;

    ProgressBar(PrintStream err, int total) {
        this.err = err;
        this.total = total;
    }

    synchronized void advance(String row) {
        done++;
        long now = System.nanoTime();
        if (done == total || now - lastDrawn >= REDRAW_NANOS) {
            lastDrawn = now;
            int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
            err.printf(Locale.ROOT, "\r[%s%s] %3d%% %d/%d %-24s", "#".repeat(filled), "-".repeat(WIDTH - filled),
                    total == 0 ? 100 : 100L * done / total, done, total, row);
            if (done == total) {
                err.println();
            }
            err.flush();
        }
    }
}
