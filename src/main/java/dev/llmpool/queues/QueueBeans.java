package dev.llmpool.queues;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.processor.aggregate.UseOriginalAggregationStrategy;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.qpid.jms.JmsConnectionFactory;
import org.apache.qpid.jms.policy.JmsDefaultPrefetchPolicy;
import org.springframework.jms.connection.CachingConnectionFactory;


/**
 * The beans of the message-queue doors (routes/queue-kafka.camel.yaml, routes/queue-jms.camel.yaml; README
 * "Queues"). Each door's routes are always loaded and start only when their broker is configured
 * ({@code autoStartup: "{{configured:...}}"}, see {@link ConfiguredFunction}).
 */
public class QueueBeans {

    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * The {@code configured:} placeholder function, added to the properties component here: the package beans are
     * made before the routes that resolve it are loaded. Bound as well, as every method here binds what it returns.
     */
    @BindToRegistry
    public ConfiguredFunction configuredFunction(CamelContext camel) {
        ConfiguredFunction configured = new ConfiguredFunction(camel);
        camel.getPropertiesComponent().addPropertiesFunction(configured);
        return configured;
    }

    /** The dead-letter copy is sent from a copy of the exchange; the answer stays as it was. */
    @BindToRegistry
    public UseOriginalAggregationStrategy keepAnswer() {
        return new UseOriginalAggregationStrategy(true);
    }

    @BindToRegistry
    public KafkaBatch kafkaBatch() {
        return new KafkaBatch();
    }

    /** Consumer lag on /metrics; the meters go with the context. */
    @BindToRegistry
    public MeteredKafkaClients kafkaClients(CamelContext camel) throws Exception {
        MeteredKafkaClients kafkaClients = new MeteredKafkaClients(camel);
        camel.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                kafkaClients.close();
            }
        });
        return kafkaClients;
    }

    @BindToRegistry
    public QueueRequest kafkaRequest() {
        return new QueueRequest(QueueDoor.KAFKA);
    }

    @BindToRegistry
    public QueueAnswer kafkaAnswer() {
        return new QueueAnswer(QueueDoor.KAFKA, mapper);
    }

    @BindToRegistry
    public QueueRequest jmsRequest() {
        return new QueueRequest(QueueDoor.JMS);
    }

    @BindToRegistry
    public QueueAnswer jmsAnswer() {
        return new QueueAnswer(QueueDoor.JMS, mapper);
    }

    /**
     * Qpid JMS (AMQP 1.0) behind Spring's caching factory: answers reuse sessions and producers (without it a
     * requester is several times slower and grows in memory). Each consumer fetches one message at a time, so an
     * instance holds no more requests than it works on and the others take the rest. Camel's amqp component does not
     * take its connection from camel.component.amqp.* under camel-main, so the routes name this bean. Unconfigured,
     * it points at the AMQP default port and is never used: the JMS routes do not start.
     */
    @BindToRegistry
    public CachingConnectionFactory jmsConnectionFactory(CamelContext camel) throws Exception {
        // optional keys, empty by default (a @PropertyInject default cannot be empty: Camel reads "" as none)
        String jmsUrl = optional(camel, "pool.jms.url");
        String jmsUsername = optional(camel, "pool.jms.username");
        String jmsPassword = optional(camel, "pool.jms.password");
        JmsConnectionFactory qpid = new JmsConnectionFactory(jmsUrl.isBlank() ? "amqp://localhost:5672" : jmsUrl.trim());
        if (!jmsUsername.isBlank()) {
            qpid.setUsername(jmsUsername);
            qpid.setPassword(jmsPassword);
        }
        JmsDefaultPrefetchPolicy prefetch = new JmsDefaultPrefetchPolicy();
        prefetch.setAll(1);
        qpid.setPrefetchPolicy(prefetch);
        CachingConnectionFactory caching = new CachingConnectionFactory(qpid);
        caching.setCacheConsumers(false);  // the listener containers keep their own consumers
        caching.setSessionCacheSize(16);
        camel.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                caching.destroy();  // after the routes stop, before the broker may go
            }
        });
        return caching;
    }

    private static String optional(CamelContext camel, String key) {
        return camel.getPropertiesComponent().resolveProperty(key).orElse("");
    }
}
