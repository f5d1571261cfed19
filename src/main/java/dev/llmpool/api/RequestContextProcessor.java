package dev.llmpool.api;

import java.util.UUID;
import java.util.regex.Pattern;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import dev.llmpool.config.ConfigStore;

/**
 * Gives the request its context before anything can fail: a request id (the caller's {@code X-Request-Id}
 * when sane, otherwise a new one), its arrival time, and the configuration snapshot it will be served with
 * from start to end, whatever reloads happen meanwhile.
 */
public class RequestContextProcessor implements Processor {

    public static final String CONFIG = "llmpool.config";
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final ConfigStore configStore;

    public RequestContextProcessor(ConfigStore configStore) {
        this.configStore = configStore;
    }

    @Override
    public void process(Exchange exchange) {
        exchange.setProperty(Headers.STARTED_NANOS, System.nanoTime());
        String given = exchange.getIn().getHeader(Headers.REQUEST_ID, String.class);
        String id = given != null && SAFE.matcher(given).matches() ? given : UUID.randomUUID().toString();
        exchange.setProperty(Headers.REQUEST_ID_PROPERTY, id);
        exchange.setProperty(CONFIG, configStore.current());
    }
}
