package dev.llmpool.queues;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The demo's requester (scripts/demo-kafka.sh): sends a few requests to the pool's requests topic, one of them
 * invalid, and prints every answer from the replies topic and every copy on the dead-letter topic.
 *
 * <p>Usage: {@code KafkaDemoClient <bootstrap-servers>}; exits 1 unless every request was answered.
 */
public final class KafkaDemoClient {

    private static final List<String[]> REQUESTS = List.of(
            new String[] {"demo-1", "{\"task\":\"enrich_metadata\",\"prompt\":\"Acme Corp, 12 Main St, founded 1999\"}"},
            new String[] {"demo-2", "{\"task\":\"expand_queries\",\"prompt\":\"cheap flights to Lisbon in May\"}"},
            new String[] {"demo-3", "{\"task\":\"recovery_plan\",\"prompt\":\"the database is down\",\"strategy\":\"FASTEST\"}"},
            new String[] {"demo-4", "{\"task\":\"no_such_task\",\"prompt\":\"this one is refused and dead-lettered\"}"},
            new String[] {"demo-5", "this is not JSON"});

    private KafkaDemoClient() {
    }

    public static void main(String[] args) {
        String servers = args[0];
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", servers),
                new StringSerializer(), new StringSerializer());
             KafkaConsumer<String, String> replies = reader(servers, "llm.replies");
             KafkaConsumer<String, String> dead = reader(servers, "llm.requests.dlq")) {
            for (String[] r : REQUESTS) {
                ProducerRecord<String, String> record = new ProducerRecord<>("llm.requests", r[0], r[1]);
                record.headers().add("correlation_id", r[0].getBytes(StandardCharsets.UTF_8));
                producer.send(record);
                System.out.println("sent     " + r[0] + "  " + r[1]);
            }
            producer.flush();
            int answered = 0;
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (answered < REQUESTS.size() && System.nanoTime() < until) {
                for (ConsumerRecord<String, String> a : replies.poll(Duration.ofMillis(200))) {
                    answered++;
                    System.out.println("answer   " + header(a, "correlation_id") + "  status=" + header(a, "llmpool_status")
                            + " request_id=" + header(a, "llmpool_request_id") + " key=" + a.key() + "\n         " + a.value());
                }
            }
            for (ConsumerRecord<String, String> d : dead.poll(Duration.ofSeconds(2))) {
                System.out.println("dead-letter " + header(d, "correlation_id") + "  llmpool_error=" + header(d, "llmpool_error"));
            }
            System.out.println(answered + " of " + REQUESTS.size() + " requests answered");
            if (answered < REQUESTS.size()) {
                System.exit(1);
            }
        }
    }

    private static KafkaConsumer<String, String> reader(String servers, String topic) {
        KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of("bootstrap.servers", servers,
                "group.id", "demo-" + UUID.randomUUID(), "auto.offset.reset", "earliest"),
                new StringDeserializer(), new StringDeserializer());
        c.subscribe(List.of(topic));
        return c;
    }

    private static String header(ConsumerRecord<String, String> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
