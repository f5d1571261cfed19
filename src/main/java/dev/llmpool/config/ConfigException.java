package dev.llmpool.config;

/** An invalid configuration; the message names the offending key. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message, null, false, false); // the message names the key; a stack trace adds nothing for an operator
    }
}
