package dev.llmpool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;

/** {@code pool.providers.<name>.url} with several base URLs (replicas), and the admission keys. */
class ReplicaUrlsTest {

    private final ConfigLoader loader = new ConfigLoader(Path.of("."));

    private static Properties shippedWith(String key, String value) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(Path.of("application.properties"))));
        p.setProperty(key, value);
        return p;
    }

    private ProviderConfig phi3With(String key, String value) throws IOException {
        return loader.load(shippedWith(key, value), 1).provider("phi3");
    }

    private String rejection(String key, String value) throws IOException {
        return assertThrows(ConfigException.class, () -> loader.load(shippedWith(key, value), 1)).getMessage();
    }

    @Test
    void commaSeparatedBaseUrlsAreReplicasTrimmedAndWithoutTrailingSlash() throws IOException {
        ProviderConfig p = phi3With("pool.providers.phi3.url", "http://gpu1:11434/, http://gpu2:11434 ,https://gpu3/ollama");
        assertEquals(List.of("http://gpu1:11434", "http://gpu2:11434", "https://gpu3/ollama"), p.replicaUrls());
        assertEquals("http://gpu1:11434,http://gpu2:11434,https://gpu3/ollama", p.url());
    }

    @Test
    void everyReplicasCredentialsAreMasked() {
        assertEquals("http://***@gpu1:11434,https://***@gpu2",
                ProviderUrls.masked("http://a:secret@gpu1:11434,https://b:other@gpu2"));
    }

    @Test
    void aSingleUrlIsOneReplica() throws IOException {
        ProviderConfig p = phi3With("pool.providers.phi3.url", "http://localhost:11434/");
        assertEquals(List.of("http://localhost:11434"), p.replicaUrls());
        assertEquals(ProviderConfig.DEFAULT_QUEUE_SIZE, p.queueSize());
        assertEquals(Long.MAX_VALUE, p.breaker().bulkheadMaxWaitMillis(), "unset: a call waits up to its deadline");
    }

    @Test
    void everyReplicaIsValidatedAsASingleUrlIs() throws IOException {
        String m = rejection("pool.providers.phi3.url", "http://gpu1:11434,ftp://gpu2");
        assertTrue(m.contains("pool.providers.phi3.url") && m.contains("http://"), m);
        m = rejection("pool.providers.phi3.url", "http://gpu1:11434,http://169.254.169.254");
        assertTrue(m.contains("link-local"), m);
        m = rejection("pool.providers.phi3.url", "http://gpu1:11434,http://user:secret@gpu2:11434?x=1");
        assertTrue(m.contains("query") && !m.contains("secret"), m);
        m = rejection("pool.providers.phi3.url", " , ");
        assertTrue(m.contains("pool.providers.phi3.url"), m);
        m = rejection("pool.providers.phi3.url", "http://gpu1:11434,http://gpu1:11434/");
        assertTrue(m.contains("twice"), m);
    }

    @Test
    void queueSizeAndTheWaitCapAreRead() throws IOException {
        Properties p = shippedWith("pool.providers.phi3.queue-size", "10");
        p.setProperty("pool.providers.phi3.max-concurrency-wait-ms", "0");
        ProviderConfig phi3 = loader.load(p, 1).provider("phi3");
        assertEquals(10, phi3.queueSize());
        assertEquals(0, phi3.breaker().bulkheadMaxWaitMillis());
        assertTrue(rejection("pool.providers.phi3.queue-size", "0").contains("pool.providers.phi3.queue-size"));
    }
}
