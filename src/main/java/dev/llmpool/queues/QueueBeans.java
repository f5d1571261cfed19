package dev.llmpool.queues;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.processor.aggregate.UseOriginalAggregationStrategy;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.qpid.jms.JmsConnectionFactory;
import org.apache.qpid.jms.policy.JmsDefaultPrefetchPolicy;
import org.springframework.jms.connection.CachingConnectionFactory;


/**
 * The beans of the message-queue doors (routes/queue-kafka.camel.yaml, routes/queue-jms.camel.yaml; README
 * "Queues"). Each door's routes are always loaded and start only when their broker is configured
 * ({@code autoStartup: "{{configured:...}}"}, see {@link ConfiguredFunction}).
 */
@Configuration
public class QueueBeans implements CamelConfiguration {

    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public void configure(CamelContext camel) throws Exception {
        camel.getPropertiesComponent().addPropertiesFunction(new ConfiguredFunction(camel));
        Registry r = camel.getRegistry();
        // the dead-letter copy is sent from a copy of the exchange; the answer stays as it was
        r.bind("keepAnswer", new UseOriginalAggregationStrategy(true));
        r.bind("kafkaBatch", new KafkaBatch());
        MeteredKafkaClients kafkaClients = new MeteredKafkaClients(camel);  // consumer lag on /metrics
        r.bind("kafkaClients", kafkaClients);
        camel.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                kafkaClients.close();
            }
        });
        r.bind("kafkaRequest", new QueueRequest(QueueDoor.KAFKA));
        r.bind("kafkaAnswer", new QueueAnswer(QueueDoor.KAFKA, mapper));
        r.bind("jmsRequest", new QueueRequest(QueueDoor.JMS));
        r.bind("jmsAnswer", new QueueAnswer(QueueDoor.JMS, mapper));
        r.bind("jmsConnectionFactory", jmsConnectionFactory(camel));
    }

    /**
     * Qpid JMS (AMQP 1.0) behind Spring's caching factory: answers reuse sessions and producers (without it a
     * requester is several times slower and grows in memory). Each consumer fetches one message at a time, so an
     * instance holds no more requests than it works on and the others take the rest. Camel's amqp component does not
     * take its connection from camel.component.amqp.* under camel-main, so the routes name this bean. Unconfigured,
     * it points at the AMQP default port and is never used: the JMS routes do not start.
     */
    private CachingConnectionFactory jmsConnectionFactory(CamelContext camel) throws Exception {
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
