package dev.llmpool.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * Keeps the benchmark from rotting: runs it in smoke mode (about half a minute, against the jar just built) and
 * checks that it measured every cell and wrote a well-formed results file. No performance figure is asserted:
 * the benchmark is its own command (bench/run.sh).
 */
class BenchSmokeIT {

    @Test
    void smokeRunMeasuresEveryCellAndWritesTheResultsFile() throws Exception {
        Path out = Path.of("target/bench-smoke/smoke.json");
        Files.deleteIfExists(out);

        new Bench(Bench.SMOKE, Path.of("target/llm-pool.jar"), out, List.of()).run();

        JsonNode doc = new ObjectMapper().readTree(out.toFile());
        assertEquals("smoke", doc.path("mode").asText());
        List<String> measures = new ArrayList<>();
        for (JsonNode row : doc.path("table")) {
            measures.add(row.path("measure").asText());
            assertFalse(row.path("value").asText().contains("NaN"), "unmeasured: " + row);
        }
        assertTrue(measures.stream().anyMatch(m -> m.startsWith("FASTEST, 1 provider, c=1, backend 0 ms")), measures::toString);
        assertTrue(measures.stream().anyMatch(m -> m.startsWith("Throughput, VOTING")), measures::toString);
        assertTrue(measures.stream().anyMatch(m -> m.startsWith("Reference: a bare Vert.x proxy")), measures::toString);
        assertTrue(measures.stream().anyMatch(m -> m.contains("in flight") && m.endsWith("errors")), measures::toString);
        assertTrue(measures.stream().anyMatch(m -> m.contains("slowest provider it waits for")), measures::toString);
        assertTrue(measures.contains("Start-up to first served request"), measures::toString);
        JsonNode medians = doc.path("medians");
        assertTrue(medians.path("startup_ms").asDouble() > 0, medians::toString);
        assertTrue(medians.path("fastest.c1.b0ms.pool_rps").asDouble() > 0, "the pool served no request");
        assertTrue(medians.path("floor.c64.b0ms.proxy_rps").asDouble() > 0, "the bare proxy served no request");
        assertTrue(medians.path("floor.c1.b50ms.proxy_rps").asDouble() > 0, "the bare proxy on 50 ms served no request");
        assertTrue(medians.path("voting.c1.b50ms.probe_rounds").asDouble() > 0, "the VOTING probe measured no round");
        assertTrue(medians.path("inflight.completed").asDouble() >= Bench.SMOKE.inflight(), medians::toString);
        assertTrue(medians.path("inflight.peak_threads").asDouble() > 0, medians::toString);
        assertTrue(Files.isRegularFile(Path.of("target/bench-smoke/smoke.md")), "the table file is missing");
    }
}
