package dev.llmpool.providers;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.concurrent.Cancellable;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.io.entity.HttpEntityWrapper;
import org.apache.hc.core5.util.Timeout;

/**
 * Holds every backend HTTP call to its budget as a whole. camel-http's timeouts bound each wait (the connect,
 * each read) but not the call: a backend that connects slowly, then answers slowly, or trickles its body, could
 * outlive the request's deadline. The budget is the endpoint's {@code responseTimeout}, which
 * {@link BackendRequestEncoder} sets to the time left before the request's deadline; the connect timeout is cut
 * to it, and when it is spent the connection is closed in whatever phase the call is (an HttpClient exec
 * interceptor, installed on every camel-http endpoint).
 */
public final class BackendDeadline implements HttpClientConfigurer, ExecChainHandler {

    /**
     * The cut comes this much after the budget, so that the request's own deadline (a 504 from the ensemble) and the
     * socket's response timeout, both at the budget, act first; the cut ends only what they cannot.
     */
    static final long GRACE_MS = 50;

    private final ScheduledExecutorService timers;
    private final long connectTimeoutMs;

    /** @param connectTimeoutMs the configured connect timeout, itself never exceeded */
    public BackendDeadline(ScheduledExecutorService timers, long connectTimeoutMs) {
        this.timers = timers;
        this.connectTimeoutMs = connectTimeoutMs;
    }

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.addExecInterceptorFirst("llmpool-call-deadline", this);
    }

    @Override
    @SuppressWarnings("deprecation") // the per-request connect timeout is deprecated, yet the only one per call
    public ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
            throws IOException, HttpException {
        RequestConfig config = scope.clientContext.getRequestConfigOrDefault();
        Timeout budget = config.getResponseTimeout();
        if (budget == null || budget.isDisabled() || !(scope.originalRequest instanceof Cancellable call)) {
            return chain.proceed(request, scope);
        }
        long ms = budget.toMilliseconds();
        scope.clientContext.setRequestConfig(RequestConfig.copy(config)
                .setConnectTimeout(Timeout.ofMilliseconds(Math.min(ms, connectTimeoutMs))).build());
        Cut cut = new Cut(call, ms);
        cut.timer = timers.schedule(cut, ms + GRACE_MS, TimeUnit.MILLISECONDS);
        ClassicHttpResponse response;
        try {
            response = chain.proceed(request, scope);
        } catch (IOException e) {
            cut.disarm();
            throw cut.explain(e);
        }
        if (response.getEntity() == null) {
            cut.disarm();
        } else {
            response.setEntity(new GuardedEntity(response.getEntity(), cut));
        }
        return response;
    }

    /** Cancels the call when its budget is spent (a no-op for a call that has finished and released its connection). */
    private static final class Cut implements Runnable {
        private final Cancellable call;
        private final long budgetMs;
        private volatile ScheduledFuture<?> timer;
        private volatile boolean fired;

        Cut(Cancellable call, long budgetMs) {
            this.call = call;
            this.budgetMs = budgetMs;
        }

        @Override
        public void run() {
            fired = true;
            call.cancel();
        }

        void disarm() {
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
        }

        /** A failure caused by the cut reads as the timeout it is, not as a closed socket. */
        IOException explain(IOException e) {
            if (!fired) {
                return e;
            }
            SocketTimeoutException timeout = new SocketTimeoutException(
                    "no complete answer within the call's budget of " + budgetMs + " ms");
            timeout.initCause(e);
            return timeout;
        }
    }

    /** The response body: reading to its end or closing it disarms the cut. */
    private static final class GuardedEntity extends HttpEntityWrapper {
        private final Cut cut;

        GuardedEntity(HttpEntity entity, Cut cut) {
            super(entity);
            this.cut = cut;
        }

        @Override
        public InputStream getContent() throws IOException {
            InputStream in = super.getContent();
            return in == null ? null : new GuardedStream(in, cut);
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            try (InputStream in = getContent()) {
                if (in != null) {
                    in.transferTo(out);
                }
            }
        }

        @Override
        public void close() throws IOException {
            cut.disarm();
            super.close();
        }
    }

    private static final class GuardedStream extends FilterInputStream {
        private final Cut cut;

        GuardedStream(InputStream in, Cut cut) {
            super(in);
            this.cut = cut;
        }

        @Override
        public int read() throws IOException {
            try {
                int b = super.read();
                if (b < 0) {
                    cut.disarm();
                }
                return b;
            } catch (IOException e) {
                throw cut.explain(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                int n = super.read(b, off, len);
                if (n < 0) {
                    cut.disarm();
                }
                return n;
            } catch (IOException e) {
                throw cut.explain(e);
            }
        }

        @Override
        public void close() throws IOException {
            cut.disarm();
            try {
                super.close();
            } catch (IOException e) {
                throw cut.explain(e);
            }
        }
    }
}
