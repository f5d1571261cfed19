package dev.llmpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.junit.jupiter.api.Test;

import dev.llmpool.ensemble.Strategy;

/** The shipped configuration is valid, and every kind of bad edit fails with a message naming its key. */
class ConfigLoaderTest {

    private final ConfigLoader loader = new ConfigLoader(Path.of("."));

    private static Properties shipped() throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(Path.of("application.properties"))));
        return p;
    }

    private String rejection(String key, String value) throws IOException {
        Properties p = shipped();
        p.setProperty(key, value);
        return assertThrows(ConfigException.class, () -> loader.load(p, 1)).getMessage();
    }

    @Test
    void shippedConfigurationIsTheSeedPool() throws IOException {
        PoolConfig c = loader.load(shipped(), 1);
        assertEquals("phi3:mini", c.provider("phi3").model());
        assertEquals("llama3.1:8b", c.provider("llama31").model());
        assertEquals("gemma2:9b", c.provider("gemma2").model());
        assertEquals(6, c.tasks().size());
        assertEquals(Strategy.FASTEST, c.task("expand_queries").strategy());
        assertEquals(Strategy.JUDGE, c.task("rerank_candidates").strategy());
        assertEquals(300, c.task("expand_queries").hedgeAfterMs());
        for (TaskConfig t : c.tasks().values()) {
            assertTrue(t.promptTemplate().contains("{{prompt}}"), t.name() + " has a prompt template");
        }
        assertTrue(c.judgePrompt().contains("{{candidates}}"));
    }

    @Test
    void unknownProviderInATaskIsRejectedNamingTheKey() throws IOException {
        String m = rejection("pool.tasks.expand_queries.providers", "phi3,mistral");
        assertTrue(m.contains("pool.tasks.expand_queries.providers") && m.contains("mistral"), m);
    }

    @Test
    void contextWindowsAndSimilarityAreReadAndCheckedNamingTheKey() throws IOException {
        Properties p = shipped();
        p.setProperty("pool.providers.phi3.context-tokens", "4096");
        p.setProperty("pool.tasks.expand_queries.similarity", "Semantic");
        p.setProperty("pool.tasks.expand_queries.similarity-threshold", "0.8");
        PoolConfig c = loader.load(p, 1);
        assertEquals(4096, c.provider("phi3").contextTokens());
        assertEquals(0, c.provider("llama31").contextTokens(), "unset: unlimited");
        assertEquals(dev.llmpool.ensemble.Similarity.SEMANTIC, c.task("expand_queries").similarity());
        assertEquals(0.8, c.task("expand_queries").similarityThreshold());
        assertEquals(dev.llmpool.ensemble.Similarity.EXACT, c.task("judge").similarity(), "the default");
        assertEquals(0.9, c.task("judge").similarityThreshold(), "the default");
        String m = rejection("pool.tasks.judge.similarity", "fuzzy");
        assertTrue(m.contains("pool.tasks.judge.similarity") && m.contains("fuzzy"), m);
        m = rejection("pool.tasks.judge.similarity-threshold", "1.5");
        assertTrue(m.contains("pool.tasks.judge.similarity-threshold"), m);
        m = rejection("pool.providers.phi3.context-tokens", "-1");
        assertTrue(m.contains("pool.providers.phi3.context-tokens"), m);
    }

    @Test
    void badStrategyIsRejectedNamingTheKey() throws IOException {
        String m = rejection("pool.tasks.judge.strategy", "BEST");
        assertTrue(m.contains("pool.tasks.judge.strategy") && m.contains("BEST"), m);
    }

    @Test
    void missingPromptFileIsRejectedNamingTheKey() throws IOException {
        String m = rejection("pool.tasks.judge.prompt", "prompts/nope.md");
        assertTrue(m.contains("pool.tasks.judge.prompt") && m.contains("prompts/nope.md"), m);
    }

    @Test
    void otherBadValuesAreRejectedNamingTheKey() throws IOException {
        assertTrue(rejection("pool.providers.phi3.kind", "llamafile").contains("pool.providers.phi3.kind"));
        assertTrue(rejection("pool.providers.phi3.url", "localhost:11434").contains("pool.providers.phi3.url"));
        assertTrue(rejection("pool.providers.phi3.weight", "heavy").contains("pool.providers.phi3.weight"));
        assertTrue(rejection("pool.providers.phi3.max-concurrency", "0").contains("pool.providers.phi3.max-concurrency"));
        assertTrue(rejection("pool.tasks.judge.judge", "nobody").contains("pool.tasks.judge.judge"));
        assertTrue(rejection("pool.tasks.judge.deadline-ms", "5000").contains("pool.tasks.judge.deadline-ms"));
        assertTrue(rejection("pool.tasks.judge.consensus-threshold", "1.5").contains("consensus-threshold"));
        assertTrue(rejection("pool.limits.max-prompt-bytes", "-1").contains("pool.limits.max-prompt-bytes"));
    }

    @Test
    void providerWithoutModelIsRejected() throws IOException {
        Properties p = shipped();
        p.remove("pool.providers.gemma2.model");
        assertTrue(assertThrows(ConfigException.class, () -> loader.load(p, 1)).getMessage()
                .contains("pool.providers.gemma2.model is required"));
    }
}
