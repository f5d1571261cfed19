package dev.llmpool.queues;

import java.util.ArrayList;
import java.util.List;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;

import dev.llmpool.api.RequestState;

/**
 * What the operations page shows of the queue doors, read from the meters {@code /metrics} already shows: each
 * configured door with where it reads, the tenant it acts as, the messages answered ({@code llmpool_requests_seconds}
 * with its {@code api} label), the copies sent to its dead-letter destination
 * ({@code llmpool_queue_dead_letters_total{api}}, counted by the dead-letter routes' last step, {@link #countStep()})
 * and, for Kafka, the consumer lag ({@code kafka_consumer_fetch_manager_records_lag_max}, Micrometer's copy of the
 * consumer's own metric). JMS has no lag here: a JMS consumer cannot see how many messages wait behind it.
 */
public final class QueueTraffic {

    /** One configured door, as the page shows it; {@code lag} null when unknown. */
    public record Door(String api, String source, String tenant, long answered, long deadLettered, Long lag) {
    }

    private static final String DEAD_LETTERS = "llmpool.queue.dead.letters";

    private final CamelContext camel;
    private final MeterRegistry meters;
    private final Processor countStep;

    public QueueTraffic(CamelContext camel, MeterRegistry meters) {
        this.camel = camel;
        this.meters = meters;
        this.countStep = exchange -> deadLetters(exchange.getProperty(RequestState.DOOR_API, "unknown", String.class)).increment();
    }

    /** The dead-letter routes' last step: one more copy sent for the exchange's door. */
    public Processor countStep() {
        return countStep;
    }

    /** The doors configured in this instance (restart-only keys, so read when asked is the same as read at start). */
    public List<Door> doors() {
        List<Door> doors = new ArrayList<>();
        if (!property("pool.kafka.bootstrap-servers", "").isEmpty()) {
            String topic = property("pool.kafka.requests-topic", "llm.requests");
            doors.add(new Door("kafka", "topic " + topic, tenant("pool.kafka.tenant"), answered("kafka"),
                    (long) deadLetters("kafka").count(), kafkaLag()));
        }
        if (!property("pool.jms.url", "").isEmpty()) {
            doors.add(new Door("jms", "queue " + property("pool.jms.requests-queue", "llm.requests"),
                    tenant("pool.jms.tenant"), answered("jms"), (long) deadLetters("jms").count(), null));
        }
        return doors;
    }

    private Counter deadLetters(String api) {
        return Counter.builder(DEAD_LETTERS).description("Requests copied to the queue door's dead-letter destination")
                .tag("api", api).register(meters);
    }

    private long answered(String api) {
        long n = 0;
        for (Timer t : meters.find("llmpool.requests").tag("api", api).timers()) {
            n += t.count();
        }
        return n;
    }

    /**
     * The consumer's {@code records-lag-max} (Kafka's client: the largest lag of any of its partitions over its recent
     * sample window), the client-wide meter (no {@code topic} tag); null before the consumer exists. The per-partition
     * lag meters are not used: Micrometer registers a new partition's meters only at its next refresh, a minute on.
     */
    private Long kafkaLag() {
        Double most = null;
        for (Gauge g : meters.find("kafka.consumer.fetch.manager.records.lag.max").gauges()) {
            double v = g.value();
            if (g.getId().getTag("topic") == null && !Double.isNaN(v)) {
                most = most == null ? v : Math.max(most, v);
            }
        }
        return most == null ? null : Math.round(most);
    }

    /** The tenant a door acts as; with auth off every request is tenant default whatever the key says. */
    private String tenant(String key) {
        String named = property(key, "");
        return named.isEmpty() ? null : named;
    }

    private String property(String key, String otherwise) {
        return camel.getPropertiesComponent().resolveProperty(key).orElse(otherwise).trim();
    }
}
