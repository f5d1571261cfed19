package dev.llmpool.ensemble;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Embeds answers for {@link Similarity#SEMANTIC} grouping with a small sentence-embedding model that runs inside the
 * pool: LangChain4j's quantized all-MiniLM-L6-v2 (ONNX), shipped in the jar, so nothing is downloaded at run time.
 *
 * <p>Embedding is CPU work of some milliseconds per answer, so it never runs on the thread that hands an answer in (an
 * event loop, usually): it runs on a bounded pool of its own ({@code pool.similarity.threads}), and the caller goes
 * on in {@code done}. When the pool's queue is full the answer gets no embedding ({@code done} with null, at once) and
 * is grouped by its text: a request under overload loses some grouping, never its answer.
 *
 * <p>The model is loaded in the background, on a pool thread: ahead of time by {@link #warmUp()} when the
 * configuration has a task that groups by meaning, else on first use; a pool whose tasks never do so never loads it.
 * Loading takes seconds, longer than many deadlines, so answers that come while it loads are grouped by text rather
 * than held until it is ready.
 */
public class AnswerEmbeddings implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AnswerEmbeddings.class);
    /** Answers waiting per embedding thread before new ones are grouped by text instead. */
    private static final int QUEUE_PER_THREAD = 256;

    private final ThreadPoolExecutor pool;
    private final Timer embedTime;
    private volatile EmbeddingModel model;
    private final java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean();

    public AnswerEmbeddings(int threads, ThreadFactory threadFactory, MeterRegistry metrics) {
        this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(threads * QUEUE_PER_THREAD), threadFactory, new ThreadPoolExecutor.AbortPolicy());
        this.pool.allowCoreThreadTimeOut(true);
        this.embedTime = Timer.builder("llmpool.similarity.embedding")
                .description("time to embed one answer for semantic grouping (loading the model excluded)")
                .publishPercentiles(0.5, 0.95)
                .register(metrics);
    }

    /** Loads the model in the background if it is not loaded or loading yet. */
    public void warmUp() {
        if (model != null || !loading.compareAndSet(false, true)) {
            return;
        }
        try {
            pool.execute(() -> {
                try {
                    model();
                } catch (RuntimeException e) {
                    LOG.warn("event=embedding_model_failed reason=\"{}\"", e.toString());
                } finally {
                    loading.set(false); // loaded, or failed: then the next answer tries again
                }
            });
        } catch (RejectedExecutionException e) {
            loading.set(false);
        }
    }

    /** Whether the model is loaded, so that answers are embedded rather than grouped by text. */
    public boolean ready() {
        return model != null;
    }

    /**
     * Embeds {@code text} on the embedding pool and hands the vector to {@code done} there; null when it could not be
     * computed (model still loading, or queue full: then on the calling thread, at once).
     */
    public void embed(String text, Consumer<float[]> done) {
        if (model == null) {
            warmUp();
            done.accept(null);
            return;
        }
        try {
            pool.execute(() -> done.accept(embedNow(text)));
        } catch (RejectedExecutionException e) {
            LOG.warn("event=embedding_skipped reason=\"embedding queue full\"");
            done.accept(null);
        }
    }

    private float[] embedNow(String text) {
        try {
            EmbeddingModel m = model();
            long started = System.nanoTime();
            float[] vector = m.embed(text == null ? "" : text).content().vector();
            embedTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            return vector;
        } catch (RuntimeException e) {
            LOG.warn("event=embedding_failed reason=\"{}\"", e.toString());
            return null;
        }
    }

    private EmbeddingModel model() {
        EmbeddingModel m = model;
        if (m == null) {
            synchronized (this) {
                if (model == null) {
                    long started = System.nanoTime();
                    // Runnable::run: the model embeds on the pool thread that asks, not on a pool of its own
                    model = new AllMiniLmL6V2QuantizedEmbeddingModel(Runnable::run);
                    LOG.info("event=embedding_model_loaded model=all-minilm-l6-v2-q took_ms={}",
                            (System.nanoTime() - started) / 1_000_000);
                }
                m = model;
            }
        }
        return m;
    }

    /** Cosine similarity of two vectors of the same length, in [-1, 1]; 0 when either is all zeros. */
    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
