package dev.usher.proxy.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;

/** The socket I/O the proxy's event loops use, by the name the config uses; the proxy's Transport builds each. */
public enum TransportKind {
    /** io_uring where the kernel and the container's seccomp profile allow it, else epoll, else Java NIO. */
    AUTO("auto"),
    IO_URING("io_uring"),
    EPOLL("epoll"),
    NIO("nio");

    private final String key;

    TransportKind(String key) {
        this.key = key;
    }

    @JsonValue
    public String key() {
        return key;
    }

    @JsonCreator
    public static TransportKind fromKey(String key) {
        return Arrays.stream(values()).filter(v -> v.key.equals(key)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("'" + key + "' is not one of " + keys()));
    }

    public static List<String> keys() {
        return Arrays.stream(values()).map(TransportKind::key).toList();
    }
}
