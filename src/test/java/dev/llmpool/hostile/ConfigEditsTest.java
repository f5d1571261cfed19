package dev.llmpool.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * Issue 23 items 8, 9 and 11 on the running service: a deleted configuration file keeps the last good
 * configuration, an edit whose provider route cannot be built is rejected whole (no request hangs on a route that
 * is not there), and credentials in a provider URL never reach /health.
 */
class ConfigEditsTest extends PoolTestSupport {

    @Override
    protected String extraConfig() {
        return "pool.providers.secretive.url=http://admin:hunter2@" + A.url().substring("http://".length()) + "\n"
                + "pool.providers.secretive.model=phi3:mini\n";
    }

    private int expandQueries() {
        return infer("{\"task\":\"expand_queries\",\"prompt\":\"x" + System.nanoTime() + "\"}").statusCode();
    }

    @Test
    void aDeletedConfigurationFileKeepsTheLastGoodConfiguration() throws Exception {
        String good = Files.readString(configFile);
        Files.delete(configFile);
        Thread.sleep(1000);  // five reload intervals: the reloader has seen the file gone
        for (int i = 0; i < 10; i++) {
            assertEquals(200, expandQueries(), "request " + i + " while the file is missing");
        }
        writeConfig(good + "\npool.tasks.probe.providers=gemma2\npool.tasks.probe.prompt=prompts/expand_queries.md\n");
        assertTrue(eventually(Duration.ofSeconds(10),
                () -> infer("{\"task\":\"probe\",\"prompt\":\"x\"}").statusCode() == 200), "reloads once it is back");
    }

    @Test
    void anEditWithAProviderWhoseRouteCannotBeBuiltIsRejectedWhole() throws Exception {
        String good = Files.readString(configFile);
        // phi3's route is rebuilt first (it now points at C, which does not serve phi3:mini), then the provider
        // "zz?nosuch" fails (an endpoint option Camel does not know): phi3's route must be put back on A
        writeConfig(good.replace("pool.providers.phi3.url=" + A.url(), "pool.providers.phi3.url=" + C.url())
                + "\npool.providers.zz?nosuch.url=" + B.url() + "\npool.providers.zz?nosuch.model=llama3.1:8b\n"
                + "pool.tasks.broken.providers=zz?nosuch\npool.tasks.broken.prompt=prompts/expand_queries.md\n");
        Thread.sleep(1500);  // several reload intervals: the edit has been tried and rejected
        long started = System.nanoTime();
        assertEquals(404, infer("{\"task\":\"broken\",\"prompt\":\"x\"}").statusCode(), "the broken edit never applied");
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = infer("{\"task\":\"enrich_metadata\",\"prompt\":\"p" + i + "\"}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("phi3 says hello", json(r).path("content").asText(), "phi3's route was put back on A");
        }
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos(), "no request waited on a missing route");
        writeConfig(good + "\npool.tasks.probe.providers=gemma2\npool.tasks.probe.prompt=prompts/expand_queries.md\n");
        assertTrue(eventually(Duration.ofSeconds(10),
                () -> infer("{\"task\":\"probe\",\"prompt\":\"x\"}").statusCode() == 200), "a later good edit applies");
    }

    @Test
    void credentialsInAProviderUrlAreMaskedInHealth() {
        HttpResponse<String> r = get("/health");
        assertFalse(r.body().contains("hunter2"), r.body());
        assertFalse(r.body().contains("admin:"), r.body());
        assertTrue(r.body().contains("http://***@"), r.body());
    }
}
