package dev.usher.proxy.testing;

import dev.usher.proxy.ProxyServer;
import dev.usher.proxy.config.ConfigLoader;
import java.net.URI;
import java.util.List;
import java.util.stream.Collectors;

/** The real proxy, in this JVM, on ephemeral 127.0.0.1 ports. {@code extraYaml} adds or overrides config keys. */
public final class ProxyFixture implements AutoCloseable {
    private final ProxyServer server;

    public ProxyFixture(List<String> upstreams, String extraYaml) {
        this("""
                upstream:
                  static: [%s]
                %s
                """.formatted(upstreams.stream().map(u -> "\"" + u + "\"").collect(Collectors.joining(", ")), extraYaml));
    }

    /** A proxy from {@code yaml}, which names its upstreams; listeners and event loops are set here. */
    public ProxyFixture(String yaml) {
        yaml = """
                listen: 127.0.0.1:0
                admin: 127.0.0.1:0
                eventLoops: 2
                """ + yaml;
        try {
            server = ProxyServer.start(ConfigLoader.fromYaml(yaml));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
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
