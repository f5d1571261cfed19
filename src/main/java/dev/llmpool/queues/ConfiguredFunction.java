package dev.llmpool.queues;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesFunction;

/**
 * The property placeholder function {@code {{configured:key}}}: {@code true} when the key has a non-blank value,
 * {@code false} when it is blank or absent. The queue doors' routes read it as their {@code autoStartup}, so a door
 * is present in every installation but consumes only once its broker is configured; a missing key never breaks
 * start-up.
 */
public class ConfiguredFunction implements PropertiesFunction {

    private final CamelContext camel;

    public ConfiguredFunction(CamelContext camel) {
        this.camel = camel;
    }

    @Override
    public String getName() {
        return "configured";
    }

    @Override
    public String apply(String key) {
        String value = camel.getPropertiesComponent().resolveProperty(key.trim()).orElse("");
        return String.valueOf(!value.isBlank());
    }
}
