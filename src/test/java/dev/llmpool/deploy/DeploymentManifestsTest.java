package dev.llmpool.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * deploy/k8s as {@code kubectl apply -k} takes it: every document parses, the kustomization's files exist, the
 * objects refer to each other correctly (selectors, ports, the ConfigMap, the scale target), and the Deployment
 * agrees with the service itself: the probe paths are routes of the configuration it mounts, on its HTTP port; the
 * ConfigMap goes where the image works; the user is the image's; the grace period outlasts the shutdown.
 */
class DeploymentManifestsTest {

    private static final Path K8S = Path.of("deploy/k8s");
    /** The benchmark's peak resident memory with 2,000 requests in flight (docs/performance.md). */
    private static final long BENCH_PEAK_RSS_BYTES = 451L * 1000 * 1000;

    private static final Map<String, Map<String, Object>> OBJECTS = new HashMap<>();
    private static Map<String, Object> kustomization;
    private static Properties config;

    @BeforeAll
    static void load() throws IOException {
        kustomization = map(single(K8S.resolve("kustomization.yaml")));
        for (Object resource : list(kustomization.get("resources"))) {
            for (Object doc : documents(K8S.resolve(resource.toString()))) {
                Map<String, Object> object = map(doc);
                OBJECTS.put(object.get("kind") + "/" + map(object.get("metadata")).get("name"), object);
            }
        }
        config = new Properties();
        try (Reader r = Files.newBufferedReader(K8S.resolve("config/application.properties"))) {
            config.load(r);
        }
    }

    @Test
    void everyDocumentParsesWithKindAndName() throws IOException {
        try (Stream<Path> files = Files.walk(K8S)) {
            // the Kubernetes documents; config/ holds the pool's own files (route YAML among them)
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml") && !p.startsWith(K8S.resolve("config"))).toList()) {
                for (Object doc : documents(f)) {
                    Map<String, Object> object = map(doc);
                    assertNotNull(object.get("apiVersion"), f + ": apiVersion");
                    assertNotNull(object.get("kind"), f + ": kind");
                }
            }
        }
        for (String kind : List.of("Deployment/llm-pool", "Service/llm-pool", "HorizontalPodAutoscaler/llm-pool",
                "PodDisruptionBudget/llm-pool")) {
            assertTrue(OBJECTS.containsKey(kind), kind + " in " + OBJECTS.keySet());
        }
        assertTrue(Files.isRegularFile(K8S.resolve("redis/redis.yaml")), "the optional Redis");
    }

    @Test
    void theConfigMapHoldsTheConfigurationAndACurrentCopyOfEveryRouteAndPrompt() throws IOException {
        Map<String, Object> generator = map(list(kustomization.get("configMapGenerator")).get(0));
        assertEquals(configMapName(), generator.get("name"));
        List<String> files = list(generator.get("files")).stream().map(Object::toString).toList();
        assertTrue(files.contains("config/application.properties"));
        for (String dir : List.of("routes", "prompts")) {
            try (Stream<Path> originals = Files.list(Path.of(dir))) {
                for (Path original : originals.toList()) {
                    String copy = "config/" + original.getFileName();
                    assertTrue(files.contains(copy), copy + " is listed in kustomization.yaml");
                    assertEquals(Files.readString(original), Files.readString(K8S.resolve(copy)),
                            copy + " differs from " + original + ": run deploy/k8s/sync-config.sh");
                }
            }
        }
        for (String f : files) {
            assertTrue(Files.isRegularFile(K8S.resolve(f)), f + " exists");
        }
        // the mounted configuration finds its routes and prompts side by side with it
        assertEquals("file:*.camel.yaml", config.getProperty("camel.main.routesIncludePattern"));
        config.stringPropertyNames().stream().filter(k -> k.endsWith(".prompt")).forEach(k ->
                assertTrue(files.contains("config/" + config.getProperty(k)), k + "=" + config.getProperty(k)));
    }

    @Test
    void theServiceAndTheAutoscalerAndTheBudgetFindTheDeploymentsPods() {
        Map<String, Object> deployment = OBJECTS.get("Deployment/llm-pool");
        Map<String, Object> spec = map(deployment.get("spec"));
        Map<String, Object> podLabels = map(map(map(spec.get("template")).get("metadata")).get("labels"));
        assertTrue(podLabels.entrySet().containsAll(map(map(spec.get("selector")).get("matchLabels")).entrySet()));

        Map<String, Object> service = map(OBJECTS.get("Service/llm-pool").get("spec"));
        assertTrue(podLabels.entrySet().containsAll(map(service.get("selector")).entrySet()), "Service selector");
        List<String> portNames = container().get("ports") instanceof List<?> ports
                ? ports.stream().map(p -> map(p).get("name").toString()).toList() : List.of();
        for (Object port : list(service.get("ports"))) {
            assertTrue(portNames.contains(map(port).get("targetPort").toString()), "Service targetPort " + port);
        }
        Map<String, Object> target = map(map(OBJECTS.get("HorizontalPodAutoscaler/llm-pool").get("spec")).get("scaleTargetRef"));
        assertEquals("Deployment", target.get("kind"));
        assertEquals("llm-pool", target.get("name"));
        Map<String, Object> pdb = map(OBJECTS.get("PodDisruptionBudget/llm-pool").get("spec"));
        assertTrue(podLabels.entrySet().containsAll(map(map(pdb.get("selector")).get("matchLabels")).entrySet()), "PDB");
        Map<String, Object> cpu = map(map(list(map(OBJECTS.get("HorizontalPodAutoscaler/llm-pool").get("spec"))
                .get("metrics")).get(0)).get("resource"));
        assertEquals("cpu", cpu.get("name"));
        assertTrue(map(container().get("resources")).containsKey("requests"), "CPU utilisation needs CPU requests");
    }

    @Test
    void probesCallTheServicesOwnHealthRoutesOnItsHttpPort() throws IOException {
        Map<String, Object> c = container();
        int httpPort = Integer.parseInt(config.getProperty("pool.http.port"));
        Map<String, Integer> ports = new HashMap<>();
        list(c.get("ports")).forEach(p -> ports.put(map(p).get("name").toString(), (Integer) map(p).get("containerPort")));
        assertEquals(httpPort, ports.get("http"), "containerPort http is pool.http.port");
        assertEquals(Integer.parseInt(config.getProperty("pool.grpc.port")), ports.get("grpc"));
        List<String> served = platformHttpPaths();
        for (String[] probe : new String[][] {{"readinessProbe", "/health/ready"}, {"livenessProbe", "/health/live"},
                {"startupProbe", "/health/live"}}) {
            Map<String, Object> get = map(map(c.get(probe[0])).get("httpGet"));
            assertEquals(probe[1], get.get("path"), probe[0]);
            assertEquals(httpPort, ports.get(get.get("port").toString()), probe[0] + " port");
            assertTrue(served.contains(probe[1]), probe[1] + " is a route of the mounted configuration: " + served);
        }
    }

    @Test
    void theConfigMapReplacesTheImagesWorkingDirectory() throws Exception {
        ImageProfile image = ImageProfile.read();
        Map<String, Object> pod = podSpec();
        String volume = null;
        for (Object v : list(pod.get("volumes"))) {
            Map<String, Object> cm = map(v).get("configMap") == null ? null : map(map(v).get("configMap"));
            if (cm != null && configMapName().equals(cm.get("name"))) {
                volume = map(v).get("name").toString();
            }
        }
        assertNotNull(volume, "a volume of the ConfigMap " + configMapName());
        boolean mounted = false;
        boolean tmp = false;
        for (Object m : list(container().get("volumeMounts"))) {
            mounted |= volume.equals(map(m).get("name")) && image.workingDirectory().equals(map(m).get("mountPath"));
            tmp |= "/tmp".equals(map(m).get("mountPath"));
        }
        assertTrue(mounted, "mounted at the image's working directory " + image.workingDirectory());
        assertTrue(tmp, "a writable /tmp for the class data sharing archive under a read-only root file system");
        Map<String, Object> images = map(list(kustomization.get("images")).get(0));
        assertEquals(image.imageRepository(), images.get("name"));
        assertEquals(image.imageRepository(), container().get("image"));
    }

    @Test
    void itRunsAsTheImagesNonRootUser() throws Exception {
        Map<String, Object> security = map(podSpec().get("securityContext"));
        assertEquals(Boolean.TRUE, security.get("runAsNonRoot"));
        assertEquals(ImageProfile.read().userId(), ((Number) security.get("runAsUser")).longValue());
        Map<String, Object> containerSecurity = map(container().get("securityContext"));
        assertEquals(Boolean.FALSE, containerSecurity.get("allowPrivilegeEscalation"));
    }

    @Test
    void theGracePeriodOutlastsThePreStopWaitTheShutdownGraceAndTheLongestRequest() {
        List<?> preStop = list(map(map(map(container().get("lifecycle")).get("preStop")).get("exec")).get("command"));
        assertEquals("sleep", preStop.get(0));
        long preStopMs = Long.parseLong(preStop.get(1).toString()) * 1000;
        long graceMs = Long.parseLong(config.getProperty("pool.shutdown.grace-ms", "2000"));
        long deadlineMs = Long.parseLong(config.getProperty("pool.limits.max-deadline-ms"));
        long terminationMs = ((Number) podSpec().get("terminationGracePeriodSeconds")).longValue() * 1000;
        assertTrue(terminationMs > preStopMs + graceMs + deadlineMs + 5000, "terminationGracePeriodSeconds "
                + terminationMs + " ms: preStop " + preStopMs + " + grace " + graceMs + " + deadline " + deadlineMs
                + " + 5 s to stop");
    }

    @Test
    void memoryIsSizedFromTheBenchmarksPeak() {
        Map<String, Object> resources = map(container().get("resources"));
        long request = bytes(map(resources.get("requests")).get("memory").toString());
        long limit = bytes(map(resources.get("limits")).get("memory").toString());
        assertTrue(request >= BENCH_PEAK_RSS_BYTES, "the request covers the benchmark's peak: " + request);
        assertTrue(limit > request, "room above it: " + limit);
    }

    private static long bytes(String quantity) {
        Map<String, Long> units = Map.of("Ki", 1L << 10, "Mi", 1L << 20, "Gi", 1L << 30, "M", 1_000_000L, "G", 1_000_000_000L);
        for (Map.Entry<String, Long> u : units.entrySet()) {
            if (quantity.endsWith(u.getKey()) && Character.isDigit(quantity.charAt(quantity.length() - u.getKey().length() - 1))) {
                return Long.parseLong(quantity.substring(0, quantity.length() - u.getKey().length())) * u.getValue();
            }
        }
        return Long.parseLong(quantity);
    }

    /** The paths the mounted route files serve with platform-http. */
    private static List<String> platformHttpPaths() throws IOException {
        List<String> paths = new ArrayList<>();
        try (Stream<Path> files = Files.list(K8S.resolve("config"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".camel.yaml")).toList()) {
                for (Object doc : documents(f)) {
                    for (Object item : list(doc)) {
                        Object route = map(item).get("route");
                        if (route != null) {
                            String uri = String.valueOf(map(map(route).get("from")).get("uri"));
                            if (uri.startsWith("platform-http:")) {
                                paths.add(uri.substring("platform-http:".length()));
                            }
                        }
                    }
                }
            }
        }
        assertFalse(paths.isEmpty());
        return paths;
    }

    private static String configMapName() {
        return map(list(kustomization.get("configMapGenerator")).get(0)).get("name").toString();
    }

    private static Map<String, Object> podSpec() {
        return map(map(map(OBJECTS.get("Deployment/llm-pool").get("spec")).get("template")).get("spec"));
    }

    private static Map<String, Object> container() {
        return map(list(podSpec().get("containers")).get(0));
    }

    private static List<Object> documents(Path file) throws IOException {
        List<Object> docs = new ArrayList<>();
        for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(file))) {
            if (doc != null) {
                docs.add(doc);
            }
        }
        return docs;
    }

    private static Object single(Path file) throws IOException {
        List<Object> docs = documents(file);
        assertEquals(1, docs.size(), file.toString());
        return docs.get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertTrue(o instanceof Map, "a mapping: " + o);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        assertTrue(o instanceof List, "a list: " + o);
        return (List<Object>) o;
    }
}
