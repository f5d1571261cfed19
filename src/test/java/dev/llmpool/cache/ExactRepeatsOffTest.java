package dev.llmpool.cache;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;

import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

/** pool.cache.exact-repeats=false: every request runs the whole infer route, repeats included. */
class ExactRepeatsOffTest extends CacheTestSupport {

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = super.useOverridePropertiesWithPropertiesComponent();
        p.put("pool.cache.exact-repeats", "false");
        return p;
    }

    @Test
    void aRepeatGoesThroughTheInferRoute() {
        infer(body("r7"));
        NotifyBuilder route = new NotifyBuilder(context).fromRoute("http-infer").whenDone(1).create();
        assertTrue(json(infer(body("r7"))).path("from_cache").asBoolean(false));
        assertTrue(route.matches(), "the route answered the repeat from the cache");
    }
}
