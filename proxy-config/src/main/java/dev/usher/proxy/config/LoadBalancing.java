package dev.usher.proxy.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;

/** The load-balancing algorithms, by the name the config uses; the balancing package builds each. */
public enum LoadBalancing {
    ROUND_ROBIN("round-robin"),
    LEAST_REQUEST("least-request");

    private final String key;

    LoadBalancing(String key) {
        this.key = key;
    }

    @JsonValue
    public String key() {
        return key;
    }

    @JsonCreator
    public static LoadBalancing fromKey(String key) {
        return Arrays.stream(values()).filter(v -> v.key.equals(key)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("'" + key + "' is not one of " + keys()));
    }

    public static List<String> keys() {
        return Arrays.stream(values()).map(LoadBalancing::key).toList();
    }
}
