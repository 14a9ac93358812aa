package dev.usher.proxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A typed, path-aware view of one object in the config tree. Every read names the key it read, and
 * {@link #requireNoOtherKeys()} rejects keys nobody read, so a typo stops start-up instead of being ignored.
 */
final class ConfigNode {
    private final String path;
    private final ObjectNode node;
    private final Set<String> read = new HashSet<>();

    ConfigNode(String path, ObjectNode node) {
        this.path = path;
        this.node = node;
    }

    private String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private JsonNode value(String name) {
        read.add(name);
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    ConfigNode object(String name) {
        JsonNode v = value(name);
        if (v == null) {
            return new ConfigNode(key(name), node.objectNode());
        }
        if (!v.isObject()) {
            throw ConfigException.at(key(name), "expected an object, got " + describe(v));
        }
        return new ConfigNode(key(name), (ObjectNode) v);
    }

    boolean has(String name) {
        return node.hasNonNull(name);
    }

    String string(String name, String fallback) {
        JsonNode v = value(name);
        if (v == null) {
            return fallback;
        }
        if (!v.isValueNode() || v.isBoolean()) {
            throw ConfigException.at(key(name), "expected a string, got " + describe(v));
        }
        return v.asText();
    }

    /** A string that must be given and not be empty. */
    String required(String name) {
        String text = string(name, null);
        if (text == null || text.isBlank()) {
            throw ConfigException.at(key(name), "required");
        }
        return text;
    }

    <T> T parsed(String name, T fallback, Function<String, T> parser) {
        String text = string(name, null);
        if (text == null) {
            return fallback;
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw ConfigException.at(key(name), e.getMessage());
        }
    }

    <T> List<T> list(String name, Function<String, T> parser) {
        JsonNode v = value(name);
        List<T> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (!v.isArray()) {
            throw ConfigException.at(key(name), "expected a list, got " + describe(v));
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            if (!item.isValueNode()) {
                throw ConfigException.at(key(name) + "[" + i + "]", "expected a string, got " + describe(item));
            }
            try {
                out.add(parser.apply(item.asText()));
            } catch (IllegalArgumentException e) {
                throw ConfigException.at(key(name) + "[" + i + "]", e.getMessage());
            }
        }
        return out;
    }

    /** A mapping of names to string values, e.g. extra protocol variables. */
    Map<String, String> stringMap(String name) {
        ConfigNode obj = object(name);
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<String> it = obj.node.fieldNames(); it.hasNext(); ) {
            out.put(it.next(), null);
        }
        out.replaceAll((k, v) -> obj.string(k, ""));
        return out;
    }

    boolean bool(String name, boolean fallback) {
        JsonNode v = value(name);
        if (v == null) {
            return fallback;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isTextual() && (v.asText().equals("true") || v.asText().equals("false"))) {
            return Boolean.parseBoolean(v.asText());
        }
        throw ConfigException.at(key(name), "expected true or false, got " + describe(v));
    }

    int integer(String name, int fallback, int min, int max) {
        long n = number(name, fallback);
        if (n < min || n > max) {
            throw ConfigException.at(key(name), n + " is out of range " + min + "-" + max);
        }
        return (int) n;
    }

    double fraction(String name, double fallback, double min, double max) {
        JsonNode v = value(name);
        double d;
        if (v == null) {
            d = fallback;
        } else if (v.isNumber()) {
            d = v.doubleValue();
        } else {
            try {
                d = Double.parseDouble(v.asText());
            } catch (NumberFormatException e) {
                throw ConfigException.at(key(name), "expected a number, got " + describe(v));
            }
        }
        if (!(d >= min && d <= max)) {
            throw ConfigException.at(key(name), d + " is out of range " + min + "-" + max);
        }
        return d;
    }

    private long number(String name, long fallback) {
        JsonNode v = value(name);
        if (v == null) {
            return fallback;
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        try {
            return Long.parseLong(v.asText().trim());
        } catch (NumberFormatException e) {
            throw ConfigException.at(key(name), "expected a whole number, got " + describe(v));
        }
    }

    Duration duration(String name, Duration fallback) {
        return parsed(name, fallback, ConfigNode::parseDuration);
    }

    Duration positiveDuration(String name, Duration fallback) {
        Duration d = duration(name, fallback);
        if (d.isZero() || d.isNegative()) {
            throw ConfigException.at(key(name), "must be more than 0");
        }
        return d;
    }

    long size(String name, long fallback) {
        JsonNode v = value(name);
        if (v == null) {
            return fallback;
        }
        long size;
        try {
            size = parseSize(v.isIntegralNumber() ? v.bigIntegerValue().toString() : v.asText());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw ConfigException.at(key(name), e instanceof ArithmeticException ? "'" + v.asText() + "' is too large" : e.getMessage());
        }
        return size;
    }

    void requireNoOtherKeys() {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!read.contains(name)) {
                throw ConfigException.at(key(name), "unknown key");
            }
        }
    }

    /** Go-style durations as Kubernetes users write them: {@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}. */
    static Duration parseDuration(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        int unitAt = 0;
        while (unitAt < s.length() && (Character.isDigit(s.charAt(unitAt)) || s.charAt(unitAt) == '.')) {
            unitAt++;
        }
        if (unitAt == 0) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 500ms, 2s, 5m)");
        }
        double amount = Double.parseDouble(s.substring(0, unitAt));
        double millis = switch (s.substring(unitAt)) {
            case "ms" -> amount;
            case "s" -> amount * 1_000;
            case "m" -> amount * 60_000;
            case "h" -> amount * 3_600_000;
            default -> throw new IllegalArgumentException("'" + text + "' needs a unit: ms, s, m or h");
        };
        return Duration.ofMillis(Math.round(millis));
    }

    /** Kubernetes quantities for byte sizes: {@code 512}, {@code 16Ki}, {@code 10Mi}, {@code 1Gi} (and k, M, G). */
    static long parseSize(String text) {
        String s = text.trim();
        int unitAt = 0;
        while (unitAt < s.length() && Character.isDigit(s.charAt(unitAt))) {
            unitAt++;
        }
        if (unitAt == 0) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 16Ki, 10Mi)");
        }
        long amount;
        try {
            amount = Long.parseLong(s.substring(0, unitAt));
        } catch (NumberFormatException e) {
            throw new ArithmeticException("too large");
        }
        long factor = switch (s.substring(unitAt)) {
            case "" -> 1L;
            case "k" -> 1_000L;
            case "Ki" -> 1L << 10;
            case "M" -> 1_000_000L;
            case "Mi" -> 1L << 20;
            case "G" -> 1_000_000_000L;
            case "Gi" -> 1L << 30;
            default -> throw new IllegalArgumentException("'" + text + "' has an unknown unit: use Ki, Mi, Gi, k, M or G");
        };
        return Math.multiplyExact(amount, factor);
    }

    private static String describe(JsonNode v) {
        return v.isTextual() ? "'" + v.asText() + "'" : v.getNodeType().toString().toLowerCase(Locale.ROOT) + " " + v;
    }
}
