package dev.usher.proxy.config;

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

    public String key() {
        return key;
    }

    /** The algorithm named {@code key}, or null. */
    public static LoadBalancing fromKey(String key) {
        return Arrays.stream(values()).filter(v -> v.key.equals(key)).findFirst().orElse(null);
    }

    public static List<String> keys() {
        return Arrays.stream(values()).map(LoadBalancing::key).toList();
    }
}
