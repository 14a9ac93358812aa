package dev.usher.proxy.testing;

import dev.usher.proxy.ProxyServer;
import dev.usher.proxy.config.ConfigLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.stream.Collectors;

/** The real proxy, in this JVM, on ephemeral 127.0.0.1 ports. {@code extraYaml} adds or overrides config keys. */
public final class ProxyFixture implements AutoCloseable {
    public static final String TRANSPORT_PROPERTY = "usher.test.transport";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final ProxyServer server;

    public ProxyFixture(List<String> upstreams, String extraYaml) {
        this(merge("""
                upstream:
                  static: [%s]
                """.formatted(upstreams.stream().map(u -> "\"" + u + "\"").collect(Collectors.joining(", "))), extraYaml));
    }

    /**
     * A proxy from {@code yaml}, which names its upstreams; listeners and event loops are set here unless it sets them.
     * No warm-up unless it asks for one: each test's own requests would wait for it, in a JVM the earlier tests
     * have warmed already. The transport is the system property {@value #TRANSPORT_PROPERTY}'s, so that the build
     * runs these tests once on each transport a user can get.
     */
    public ProxyFixture(String yaml) {
        try {
            server = ProxyServer.start(ConfigLoader.fromYaml(merge("""
                    listen: 127.0.0.1:0
                    admin: 127.0.0.1:0
                    eventLoops: 2
                    transport: %s
                    warmup: {requests: 0}
                    """.formatted(System.getProperty(TRANSPORT_PROPERTY, "auto")), yaml)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code extra} laid over {@code base} key by key, so a test can set {@code upstream.protocol} and keep the list. */
    private static String merge(String base, String extra) {
        try {
            ObjectNode tree = (ObjectNode) YAML.readTree(base);
            JsonNode top = YAML.readTree(extra);
            if (top instanceof ObjectNode o) {
                deepMerge(tree, o);
            }
            return YAML.writeValueAsString(tree);
        } catch (IOException e) {
            throw new IllegalArgumentException("bad test YAML: " + e.getMessage(), e);
        }
    }

    private static void deepMerge(ObjectNode into, ObjectNode from) {
        from.fields().forEachRemaining(e -> {
            JsonNode existing = into.get(e.getKey());
            if (existing instanceof ObjectNode target && e.getValue() instanceof ObjectNode source) {
                deepMerge(target, source);
            } else {
                into.set(e.getKey(), e.getValue());
            }
        });
    }

    public ProxyFixture(TestBackend... backends) {
        this(List.of(backends).stream().map(TestBackend::hostPort).toList(), "");
    }

    public ProxyServer server() {
        return server;
    }

    public int port() {
        return server.address().getPort();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    public URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + server.adminAddress().getPort() + path);
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
