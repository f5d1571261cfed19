package dev.llmpool.ensemble;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The in-process embedding model: runs on the pool's own threads, and its cosine similarity tells paraphrases apart. */
class AnswerEmbeddingsTest {

    private static final AnswerEmbeddings EMBEDDINGS = new AnswerEmbeddings(1, r -> {
        Thread t = Executors.defaultThreadFactory().newThread(r);
        t.setName("similarity-test");
        t.setDaemon(true);
        return t;
    }, new SimpleMeterRegistry());

    @BeforeAll
    static void loadTheModel() throws InterruptedException {
        EMBEDDINGS.warmUp();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!EMBEDDINGS.ready() && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertTrue(EMBEDDINGS.ready(), "the model loaded");
    }

    @AfterAll
    static void close() {
        EMBEDDINGS.close();
    }

    private static float[] embed(String text) throws Exception {
        CompletableFuture<float[]> vector = new CompletableFuture<>();
        String caller = Thread.currentThread().getName();
        EMBEDDINGS.embed(text, v -> {
            assertNotEquals(caller, Thread.currentThread().getName());
            vector.complete(Thread.currentThread().getName().equals("similarity-test") ? v : null);
        });
        float[] v = vector.get(60, TimeUnit.SECONDS);
        assertNotNull(v, "embedded on the pool's own thread");
        return v;
    }

    @Test
    void paraphrasesAreCloseAndOtherAnswersAreNot() throws Exception {
        float[] paris1 = embed("Paris is the capital of France.");
        float[] paris2 = embed("The capital of France is Paris.");
        float[] berlin = embed("Berlin.");
        double same = AnswerEmbeddings.cosine(paris1, paris2);
        double other = AnswerEmbeddings.cosine(paris1, berlin);
        assertTrue(same >= 0.9, "paraphrases: " + same);
        assertTrue(other < 0.5, "different answers: " + other);
    }

    @Test
    void whileTheModelLoadsAnAnswerGetsNoEmbeddingAtOnce() {
        try (AnswerEmbeddings fresh = new AnswerEmbeddings(1, Executors.defaultThreadFactory(), new SimpleMeterRegistry())) {
            float[][] got = {new float[1]};
            String[] thread = new String[1];
            fresh.embed("Paris", v -> {
                got[0] = v;
                thread[0] = Thread.currentThread().getName();
            });
            // answered before embed returned, on the caller's thread: the race goes on grouping this answer by text
            assertTrue(got[0] == null, "no embedding before the model is loaded");
            assertTrue(Thread.currentThread().getName().equals(thread[0]));
        }
    }

    @Test
    void cosineOfAVectorWithItselfIsOneAndOfAZeroVectorIsZero() {
        float[] v = {1f, 2f, 3f};
        assertTrue(Math.abs(AnswerEmbeddings.cosine(v, v) - 1) < 1e-9);
        assertTrue(AnswerEmbeddings.cosine(v, new float[3]) == 0);
    }
}
