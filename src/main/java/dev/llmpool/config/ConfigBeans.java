package dev.llmpool.config;

import java.nio.file.Path;
import java.util.Properties;

import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;

/** The pool's configuration: the file every bean reads its providers, tasks and limits from (reloaded on change). */
public class ConfigBeans {

    @BindToRegistry
    public ConfigStore configStore(CamelContext camel,
                                   @PropertyInject(value = "pool.config.file", defaultValue = "application.properties")
                                   String configFile) {
        return new ConfigStore(Path.of(configFile), Path.of("."), overrides(camel));
    }

    /** Properties set through Camel (tests, -D) that the pool's own config file must not override. */
    private static Properties overrides(CamelContext camel) {
        Properties p = new Properties();
        Properties o = camel.getPropertiesComponent() instanceof org.apache.camel.component.properties.PropertiesComponent pc
                ? pc.getOverrideProperties() : null;
        if (o != null) {
            o.forEach((k, v) -> {
                if (k.toString().startsWith("pool.")) {
                    p.put(k, v);
                }
            });
        }
        return p;
    }
}
