package dev.llmpool.config;

/** An invalid configuration; the message names the offending key. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
