package dev.usher.proxy.config;

import java.time.Duration;
import java.util.function.Function;

/**
 * One key of the proxy's config: its full name, its default, what it does and which values it takes, in one place
 * (as Flink's {@code ConfigOption}). The records' compact constructors pass what Jackson bound through
 * {@link #of}, so a missing value gets its default and a bad one fails naming the key; {@code --help} lists them.
 *
 * @param check the problem with a value, or null when it is fine
 */
public record ConfigOption<T>(String key, T defaultValue, boolean required, String description,
                               Function<T, String> check) {

    /** Any value of the type; {@code defaultValue} null makes the key optional with no value. */
    public static <T> ConfigOption<T> of(String key, T defaultValue, String description) {
        return new ConfigOption<>(key, defaultValue, false, description, v -> null);
    }

    /** A text that must be given and not be blank. */
    public static ConfigOption<String> required(String key, String description) {
        return new ConfigOption<>(key, null, true, description, v -> v.isBlank() ? "required" : null);
    }

    public static <T extends Comparable<T>> ConfigOption<T> range(String key, T defaultValue, T min, T max,
                                                                  String description) {
        return new ConfigOption<>(key, defaultValue, false, description,
                v -> v.compareTo(min) < 0 || v.compareTo(max) > 0 ? v + " is out of range " + min + "-" + max : null);
    }

    /** A duration over zero: a timeout. */
    public static ConfigOption<Duration> positive(String key, Duration defaultValue, String description) {
        return new ConfigOption<>(key, defaultValue, false, description,
                v -> v.isZero() || v.isNegative() ? "must be more than 0" : null);
    }

    /** A duration of zero (off) or more. */
    public static ConfigOption<Duration> nonNegative(String key, Duration defaultValue, String description) {
        return new ConfigOption<>(key, defaultValue, false, description, v -> v.isNegative() ? "must not be negative" : null);
    }

    /** {@code given}, or the default when it is null; throws {@link ConfigException} naming the key when it is bad. */
    public T of(T given) {
        T value = given != null ? given : defaultValue;
        if (value == null) {
            if (required) {
                throw ConfigException.at(key, "required");
            }
            return null;
        }
        String problem = check.apply(value);
        if (problem != null) {
            throw ConfigException.at(key, problem);
        }
        return value;
    }
}
