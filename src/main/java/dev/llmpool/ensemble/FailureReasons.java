package dev.llmpool.ensemble;

import java.net.ConnectException;
import java.net.SocketTimeoutException;

import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;

import dev.llmpool.providers.DeadlineExceededException;
import dev.llmpool.providers.ProviderException;

/** Short, stable words for why a provider gave no answer: what the 503 body and the logs say. */
public final class FailureReasons {

    private FailureReasons() {
    }

    /** True when the failure is a timeout waiting for an answer (not a refused or failed connection). */
    public static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof io.netty.channel.ConnectTimeoutException) {
                return false;
            }
            if (isTimeoutItself(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isTimeoutItself(Throwable t) {
        return t instanceof SocketTimeoutException || t.getClass().getSimpleName().contains("Timeout");
    }

    public static String describe(Throwable e) {
        if (e == null) {
            return "no answer";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProviderException || t instanceof DeadlineExceededException) {
                return t.getMessage();
            }
            if (t instanceof CallNotPermittedException) {
                // half-open lets only its probe calls through; the others are refused like an open breaker's
                return String.valueOf(t.getMessage()).contains("HALF_OPEN") ? "circuit breaker half-open (probing)"
                        : "circuit breaker open";
            }
            if (t instanceof BulkheadFullException) {
                return "busy: max-concurrency calls already in flight";
            }
            if (t instanceof io.netty.channel.ConnectTimeoutException) { // a ConnectException too
                return "connect timed out";
            }
            if (t instanceof ConnectException) {
                return "connection refused";
            }
            if (t instanceof io.vertx.core.http.HttpClosedException) {
                return "connection closed without a response";
            }
            if (isTimeoutItself(t)) {
                return "timed out";
            }
            if (t instanceof java.util.concurrent.RejectedExecutionException) {
                return "pool overloaded";
            }
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
