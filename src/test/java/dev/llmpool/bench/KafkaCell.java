package dev.llmpool.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The kafka cell (issue 15): a single-node broker ({@link KafkaBrokerMain}, its own process), the service with
 * its Kafka door on, and this process as producer of {@code /v1/infer} requests and reader of the answers.
 * Measures one request at a time (round trip from sending the record to reading its answer, against the 0 ms
 * backend called directly over HTTP) and a burst (records a second from the first sent to the last answer read).
 */
final class KafkaCell {

    private final Bench b;
    private final String kafkaClassPath;

    KafkaCell(Bench b, String kafkaClassPath) {
        this.b = b;
        this.kafkaClassPath = kafkaClassPath;
    }

    void run(int rep) throws Exception {
        if (kafkaClassPath.isBlank()) {
            System.out.println("kafka cell: no --kafka-cp (bench/run.sh gives it: Kafka's server jars); not measured");
            return;
        }
        Path bootstrapFile = b.work.resolve("kafka-bootstrap" + rep);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process broker = b.startHelper("kafka broker", java, List.of("-Xmx512m", "-XX:+UseParallelGC"), kafkaClassPath,
                KafkaBrokerMain.class, bootstrapFile.toString());
        try {
            String bootstrap = Files.readString(bootstrapFile).trim();
            int port = Bench.freePort();
            try (Service svc = Service.start(b.jar, b.work.resolve("kafka" + rep),
                    b.config(port, false, "pool.kafka.bootstrap-servers=" + bootstrap + "\n"), b.serviceJvm, port,
                    Bench.poolBody("fast0", false));
                 KafkaProducer<String, String> producer = producer(bootstrap);
                 KafkaConsumer<String, String> replies = replies(bootstrap)) {
                System.out.printf("service (Kafka door) up in %.0f ms%n", svc.startupMs);
                // warm-up: the HTTP path the door enters (direct:infer), then the door itself, not recorded
                b.warmUp(svc, List.of(new Bench.Load(Bench.poolUrl(svc), Bench.poolBody("fast0", false), Map.of(), 1)));
                burst(producer, replies, Math.max(100, b.mode.inflight()), "warm-up");
                oneAtATime(producer, replies, Math.max(1, b.mode.warmupSeconds() / 2), false);
                Wrk.Result direct = b.load("direct", "http://127.0.0.1:" + b.backend0 + "/api/chat",
                        Bench.directBody(), 1);
                double p50 = oneAtATime(producer, replies, b.mode.cellSeconds(), true);
                b.samples.add("kafka.c1.direct_p50_ms", direct.p50());
                b.samples.add("kafka.c1.added_p50_ms", p50 - direct.p50());
                burst(producer, replies, 2 * b.mode.inflight(), "kafka");
            }
        } finally {
            broker.getOutputStream().close();  // it stops when its stdin closes
            broker.destroy();
        }
    }

    /** One record at a time for {@code seconds}; returns the p50 round trip in ms (recorded when {@code measured}). */
    private double oneAtATime(KafkaProducer<String, String> producer, KafkaConsumer<String, String> replies,
                              int seconds, boolean measured) throws Exception {
        List<Double> ms = new ArrayList<>();
        long errors = 0;
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        for (int i = 0; System.nanoTime() < end; i++) {
            String id = "one-" + System.nanoTime() + "-" + i;
            long started = System.nanoTime();
            producer.send(request(id));
            producer.flush();
            Map<String, String> status = await(replies, List.of(id), 10_000);
            if ("200".equals(status.get(id))) {
                ms.add((System.nanoTime() - started) / 1e6);
            } else {
                errors++;
            }
        }
        ms.sort(null);
        double p50 = ms.isEmpty() ? Double.NaN : ms.get((ms.size() - 1) / 2);
        double p99 = ms.isEmpty() ? Double.NaN : ms.get(Math.min(ms.size() - 1, (int) Math.ceil(0.99 * ms.size()) - 1));
        if (measured) {
            b.samples.add("kafka.c1.p50_ms", p50);
            b.samples.add("kafka.c1.p99_ms", p99);
            b.samples.add("kafka.c1.errors", errors);
        }
        System.out.printf("  %-26s c=1    %d round trips  p50 %8.3f ms  p99 %8.3f ms  errors %d%s%n",
                "pool Kafka door", ms.size(), p50, p99, errors, measured ? "" : " (warm-up)");
        return p50;
    }

    /** {@code n} records sent at once; records a second from the first sent to the last answer read. */
    private void burst(KafkaProducer<String, String> producer, KafkaConsumer<String, String> replies, int n,
                       String what) throws Exception {
        List<String> ids = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String id = what + "-" + started + "-" + i;
            ids.add(id);
            producer.send(request(id));
        }
        producer.flush();
        Map<String, String> status = await(replies, ids, 60_000);
        double seconds = (System.nanoTime() - started) / 1e9;
        long ok = status.values().stream().filter("200"::equals).count();
        if (what.equals("kafka")) {
            b.samples.add("kafka.burst.rps", ok / seconds);
            b.samples.add("kafka.burst.errors", n - ok);
        }
        System.out.printf("  %-26s n=%-5d %8.0f req/s  (%d answered 200 in %.2f s, %d not)%n",
                "pool Kafka door, burst" + (what.equals("kafka") ? "" : " (" + what + ")"), n, ok / seconds, ok,
                seconds, n - ok);
    }

    /** Reads answers until every id has one or the time is up; the status of each answered id. */
    private static Map<String, String> await(KafkaConsumer<String, String> replies, List<String> ids, long timeoutMs) {
        Map<String, String> status = new HashMap<>();
        java.util.Set<String> wanted = new java.util.HashSet<>(ids);
        long until = System.nanoTime() + Duration.ofMillis(timeoutMs).toNanos();
        while (status.size() < wanted.size() && System.nanoTime() < until) {
            for (ConsumerRecord<String, String> r : replies.poll(Duration.ofMillis(50))) {
                String id = header(r, "correlation_id");
                if (id != null && wanted.contains(id)) {
                    status.put(id, header(r, "llmpool_status"));
                }
            }
        }
        return status;
    }

    private static ProducerRecord<String, String> request(String id) {
        ProducerRecord<String, String> r = new ProducerRecord<>(KafkaBrokerMain.REQUESTS, id,
                Bench.poolBody("fast0", false));
        r.headers().add("correlation_id", id.getBytes(StandardCharsets.UTF_8));
        return r;
    }

    private static String header(ConsumerRecord<String, String> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(p);
    }

    /** A reader of every partition of the answers topic from its end (no group: nothing to rebalance). */
    private static KafkaConsumer<String, String> replies(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<String, String> c = new KafkaConsumer<>(p);
        List<TopicPartition> parts = new ArrayList<>();
        for (int i = 0; i < KafkaBrokerMain.PARTITIONS; i++) {
            parts.add(new TopicPartition(KafkaBrokerMain.REPLIES, i));
        }
        c.assign(parts);
        c.seekToEnd(parts);
        parts.forEach(c::position);  // resolve the end now, before any request is sent
        return c;
    }
}
