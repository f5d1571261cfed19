package dev.llmpool.queues;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka door's batch: its records as messages for the route's Split, and the commit once every one of them has
 * been answered: per partition, the offset after the
 * batch's last record. The Kafka door consumes in batches (camel-kafka {@code batching=true}), so a batch's records
 * are all answered before this runs, and the next batch is only polled after it: a crash or a stop before this
 * leaves the batch uncommitted, to be delivered again (and answered from the idempotency store).
 *
 * <p>camel-kafka's own commit after a batch ({@code allowManualCommit=false}) commits the consumer's position,
 * which can include records polled for the next batch and not yet answered; so the door commits by hand.
 */
public class KafkaBatch implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBatch.class);

    /**
     * The batch's records as messages: a Split gives each message its own exchange, headers and all. Copies, as the
     * route changes them and the commit still needs each record's headers.
     */
    public static List<Message> records(List<Exchange> batch) {
        return batch.stream().map(e -> e.getMessage().copy()).toList();
    }

    /** Commits the batch (the body: camel-kafka's list of record exchanges). */
    @Override
    public void process(Exchange batch) {
        List<?> records = batch.getMessage().getBody(List.class);
        if (records == null) {
            return;
        }
        Map<String, Record> last = new HashMap<>();
        for (Object o : records) {
            if (o instanceof Exchange record) {
                Record r = new Record(record);
                last.merge(r.partition(), r, (a, b) -> a.offset >= b.offset ? a : b);
            }
        }
        for (Record r : last.values()) {
            try {
                r.commit.commit();  // synchronous: done before the next poll
            } catch (RuntimeException e) {
                // e.g. the partition moved to another instance meanwhile: it delivers the records again
                LOG.warn("event=kafka_commit_failed partition={} offset={} reason=\"{}\"", r.partition(), r.offset,
                        e.getMessage());
            }
        }
    }

    private static final class Record {
        final String topic;
        final int partition;
        final long offset;
        final KafkaManualCommit commit;

        Record(Exchange record) {
            topic = record.getMessage().getHeader(KafkaConstants.TOPIC, String.class);
            partition = record.getMessage().getHeader(KafkaConstants.PARTITION, Integer.class);
            offset = record.getMessage().getHeader(KafkaConstants.OFFSET, Long.class);
            commit = record.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
        }

        String partition() {
            return topic + "-" + partition;
        }
    }
}
