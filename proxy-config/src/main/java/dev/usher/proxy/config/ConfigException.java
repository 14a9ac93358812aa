package dev.usher.proxy.config;

/** A configuration problem, always naming the key at fault so start-up can stop with a useful message. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public static ConfigException at(String key, String problem) {
        return new ConfigException(key + ": " + problem);
    }
}
