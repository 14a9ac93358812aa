package dev.usher.proxy.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;

/**
 * The config file as YAML (JSON is YAML too), both ways: the proxy reads it, the operator writes it. Jackson binds
 * the records; a key nobody knows, a value of the wrong kind or out of range fails with a {@link ConfigException}
 * naming the key's full path ({@code timeouts.connect}, {@code upstream.static[1]}). Durations and sizes read and
 * write as {@link Durations} and {@link Sizes}.
 */
public final class ProxyConfigYaml {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .registerModule(new SimpleModule("durations")
                    .addSerializer(Duration.class, new TextSerializer<>(Duration.class, Durations::format))
                    // a path as written, not Jackson's file:// URI
                    .addSerializer(Path.class, new TextSerializer<>(Path.class, Path::toString))
                    .addDeserializer(Duration.class, new TextDeserializer<>(Duration.class, Durations::parse)));

    private ProxyConfigYaml() {}

    public static ProxyConfig read(String text, String source) {
        return bind(tree(text, source));
    }

    /** The file's keys, not yet checked: flags are laid over them before {@link #bind}. */
    static ObjectNode tree(String text, String source) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML/JSON: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return YAML.createObjectNode();
        }
        if (!root.isObject()) {
            throw new ConfigException(source + ": the top level must be a mapping of keys");
        }
        return (ObjectNode) root;
    }

    static ObjectNode emptyTree() {
        return YAML.createObjectNode();
    }

    static ProxyConfig bind(ObjectNode tree) {
        try {
            return YAML.treeToValue(tree, ProxyConfig.class);
        } catch (JsonProcessingException e) {
            throw problem(e);
        } catch (IllegalArgumentException e) {
            throw e.getCause() instanceof JsonMappingException m ? problem(m) : e;
        }
    }

    public static String write(ProxyConfig config) {
        try {
            return YAML.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How {@code value} is written in the file, e.g. {@code 2s} or {@code 0.0.0.0:8080}: for --help. */
    static String text(Object value) {
        return text((JsonNode) YAML.valueToTree(value));
    }

    /**
     * How {@code record}'s key {@code name} is written (a size is a size only as a record's component), or
     * {@code value}'s text when the record leaves the key out.
     */
    static String text(Record record, String name, Object value) {
        JsonNode written = ((JsonNode) YAML.valueToTree(record)).get(name);
        return written != null ? text(written) : text(value);
    }

    private static String text(JsonNode node) {
        return node.isValueNode() ? node.asText() : node.toString();
    }

    /** What a user can act on: the key's path and the problem, not Jackson's class names. */
    private static ConfigException problem(JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigException known) {
                return known; // a record's check, which names its key itself
            }
        }
        String path = e instanceof JsonMappingException m ? path(m) : "";
        if (e instanceof UnrecognizedPropertyException) {
            return ConfigException.at(path, "unknown key");
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException bad) {
                return ConfigException.at(path, bad.getMessage());
            }
        }
        if (e instanceof InvalidFormatException f && f.getTargetType() != String.class) {
            return ConfigException.at(path, "'" + f.getValue() + "' is not "
                    + kind(f.getTargetType()));
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return ConfigException.at(path, "expected " + kind(m.getTargetType()));
        }
        return ConfigException.at(path, e.getOriginalMessage());
    }

    private static String path(JsonMappingException e) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                out.append(out.isEmpty() ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    private static String kind(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (type == Double.class || type == double.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type.isRecord() || java.util.Map.class.isAssignableFrom(type)) {
            return "a mapping of keys";
        }
        if (java.util.Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        return "a " + type.getSimpleName();
    }

    /** A scalar written as text (a YAML number is read as its text), parsed by a function that names the problem. */
    static class TextDeserializer<T> extends StdScalarDeserializer<T> {
        private static final long serialVersionUID = 1L;
        private final transient Function<String, T> parser;

        TextDeserializer(Class<T> type, Function<String, T> parser) {
            super(type);
            this.parser = parser;
        }

        @Override
        @SuppressWarnings("unchecked")
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.currentToken().isScalarValue()) {
                return (T) ctxt.handleUnexpectedToken(handledType(), p);
            }
            String text = p.getText();
            try {
                return parser.apply(text);
            } catch (IllegalArgumentException e) {
                InvalidFormatException bad = new InvalidFormatException(p, e.getMessage(), text, handledType());
                bad.initCause(e);
                throw bad;
            }
        }
    }

    static final class LongSizeDeserializer extends TextDeserializer<Long> {
        private static final long serialVersionUID = 1L;

        LongSizeDeserializer() {
            super(Long.class, Sizes::parse);
        }
    }

    /** Sizes that fit an int by nature (a header's length): more than 2 GiB is as good as no limit. */
    static final class IntSizeDeserializer extends TextDeserializer<Integer> {
        private static final long serialVersionUID = 1L;

        IntSizeDeserializer() {
            super(Integer.class, text -> (int) Math.min(Integer.MAX_VALUE, Sizes.parse(text)));
        }
    }

    /** A scalar written as text by a function, the inverse of {@link TextDeserializer}'s. */
    static class TextSerializer<T> extends StdScalarSerializer<T> {
        private static final long serialVersionUID = 1L;
        private final transient Function<T, String> format;

        TextSerializer(Class<T> type, Function<T, String> format) {
            super(type);
            this.format = format;
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(format.apply(value));
        }
    }

    static final class SizeSerializer extends TextSerializer<Number> {
        private static final long serialVersionUID = 1L;

        SizeSerializer() {
            super(Number.class, n -> Sizes.format(n.longValue()));
        }
    }
}
