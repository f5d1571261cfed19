package dev.llmpool.bench;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.llmpool.fixture.KafkaBroker;

/**
 * The kafka cell's broker as a process of its own (the tests' single-node KRaft Kafka, {@link KafkaBroker}), so
 * that its threads are not the load generator's: creates the door's topics, writes its bootstrap address to the
 * file given as the argument, prints {@code READY}, and stops when its standard input closes.
 * Needs Kafka's server jars on the class path (bench/run.sh passes them as {@code --kafka-cp}).
 */
public final class KafkaBrokerMain {

    static final String REQUESTS = "llm.requests";
    static final String REPLIES = "llm.replies";
    static final int PARTITIONS = 4;

    private KafkaBrokerMain() {
    }

    public static void main(String[] args) throws Exception {
        KafkaBroker broker = KafkaBroker.start();
        broker.createTopic(REQUESTS, PARTITIONS);
        broker.createTopic(REPLIES, PARTITIONS);
        Files.writeString(Path.of(args[0]), broker.bootstrapServers());
        System.out.println("READY " + broker.bootstrapServers());
        System.out.flush();
        Thread deadline = new Thread(() -> {
            try {
                Thread.sleep(Long.getLong("bench.maxSeconds", 3600) * 1000);
            } catch (InterruptedException ignored) {
                return;
            }
            System.exit(0);
        });
        deadline.setDaemon(true);
        deadline.start();
        while (System.in.read() >= 0) {
            // until the benchmark closes our stdin (or dies)
        }
        broker.close();
        System.exit(0);
    }
}
