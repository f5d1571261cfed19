package dev.llmpool.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.llmpool.PoolTestSupport;

/**
 * GET /ui/api/status, the operations page's source, with pool.ui.show-prompts=true: providers, tasks' traffic and
 * wins, the cache's hit rate and the recent requests with their prompts; and only the page's own files are served.
 */
class OpsStatusTest extends PoolTestSupport {

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.ui.show-prompts", "true");
        return p;
    }

    @Test
    void statusReportsProvidersTasksCacheAndRecentRequests() {
        String body = "{\"task\":\"enrich_metadata\",\"prompt\":\"shown prompt\"}";
        assertEquals(200, infer(body).statusCode());
        assertEquals(200, infer(body).statusCode()); // a cache hit
        assertEquals(404, infer("{\"task\":\"nope\",\"prompt\":\"x\"}").statusCode());
        assertTrue(eventually(Duration.ofSeconds(5), () -> status().path("recent").size() == 3));
        JsonNode s = status();
        assertEquals(3, s.path("providers").size());
        JsonNode phi3 = named(s.path("providers"), "phi3");
        assertEquals("UP", phi3.path("status").asText());
        assertEquals("CLOSED", phi3.path("circuit").asText());
        assertEquals(0, phi3.path("inflight").asInt());
        assertEquals(1, phi3.path("calls").asInt());
        JsonNode task = named(s.path("tasks"), "enrich_metadata");
        assertEquals("FASTEST", task.path("strategy").asText());
        assertEquals(2, task.path("requests").asInt());
        assertEquals(0, task.path("errors").asInt());
        assertEquals(1, task.path("wins").path("phi3").asInt(), "the cache hit is not a win");
        assertEquals(0.5, s.path("cache").path("hit_rate").asDouble());
        JsonNode newest = s.path("recent").get(0);
        assertEquals("invalid", newest.path("task").asText());
        assertEquals(404, newest.path("status").asInt());
        assertEquals("unknown_task", newest.path("error").asText());
        assertEquals("shown prompt", s.path("recent").get(2).path("prompt").asText(), "pool.ui.show-prompts=true");
        assertTrue(s.path("show_prompts").asBoolean());
    }

    @Test
    void onlyThePagesOwnFilesAreServed() {
        HttpResponse<String> index = get("/ui/");
        assertEquals(200, index.statusCode());
        assertTrue(index.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(index.body().contains("<label for=\"try-prompt\">Prompt</label>"));
        assertEquals(200, get("/ui").statusCode());
        assertEquals(200, get("/ui/style.css").statusCode());
        assertEquals(404, get("/ui/application.properties").statusCode());
        assertEquals(404, get("/ui/log4j2.properties").statusCode());
        assertTrue(get("/ui/..%2Fapplication.properties").statusCode() >= 400);
    }

    private static JsonNode named(JsonNode list, String name) {
        for (JsonNode n : list) {
            if (n.path("name").asText().equals(name)) {
                return n;
            }
        }
        throw new AssertionError(name + " is not in " + list);
    }

    private JsonNode status() {
        HttpResponse<String> r = get("/ui/api/status");
        assertEquals(200, r.statusCode());
        return json(r);
    }
}
