package dev.usher.proxy.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every {@link ConfigOption} of the schema in file order, found from the records themselves: for --help. */
final class ConfigKeys {

    /** An option and its default as the file writes it, "(required)" or "(unset)". */
    record Key(ConfigOption<?> option, String defaultText) {}

    static final List<Key> ALL = collect(ProxyConfig.class, new ArrayList<>());

    private ConfigKeys() {}

    /** A component that is neither an option nor a record of options is a schema bug, found at class load. */
    private static List<Key> collect(Class<?> record, List<Key> out) {
        Map<String, ConfigOption<?>> options = new LinkedHashMap<>();
        Record defaults = null;
        for (Field f : record.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().equals("DEFAULTS")) {
                defaults = (Record) value(f);
            }
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == ConfigOption.class) {
                ConfigOption<?> option = (ConfigOption<?>) value(f);
                options.put(option.key().substring(option.key().lastIndexOf('.') + 1), option);
            }
        }
        for (RecordComponent c : record.getRecordComponents()) {
            JsonProperty renamed = c.getAccessor().getAnnotation(JsonProperty.class);
            String name = renamed != null ? renamed.value() : c.getName();
            ConfigOption<?> option = options.get(name);
            if (option != null) {
                out.add(new Key(option, option.required() ? "(required)" : option.defaultValue() == null ? "(unset)"
                        : defaults != null ? ProxyConfigYaml.text(defaults, name, option.defaultValue())
                        : ProxyConfigYaml.text(option.defaultValue())));
            } else if (c.getType().isRecord()) {
                collect(c.getType(), out);
            } else {
                throw new IllegalStateException(record.getSimpleName() + "." + name + " has no ConfigOption");
            }
        }
        return List.copyOf(out);
    }

    private static Object value(Field f) {
        try {
            return f.get(null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
