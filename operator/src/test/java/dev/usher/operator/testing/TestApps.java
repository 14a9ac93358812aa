package dev.usher.operator.testing;

import dev.usher.operator.config.OperatorConfig;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/** ProxiedApps as a user would write them, and the operator settings the tests run with. */
public final class TestApps {

    public static final String PROXY_IMAGE = "registry.test/usher-proxy:test";

    private TestApps() {
    }

    /** A ProxiedApp from YAML, as {@code kubectl apply} would send it: no defaults filled in. */
    public static ProxiedApp app(String namespace, String name, String specYaml) {
        return Serialization.unmarshal("""
                apiVersion: usher.dev/v1alpha1
                kind: ProxiedApp
                metadata: {name: %s, namespace: %s}
                spec:
                %s""".formatted(name, namespace, specYaml.indent(2)), ProxiedApp.class);
    }

    /** The same as stored by an API server, for unit tests that need a uid and a generation. */
    public static ProxiedApp stored(String namespace, String name, String specYaml) {
        ProxiedApp app = app(namespace, name, specYaml);
        app.getMetadata().setUid("uid-" + name);
        app.getMetadata().setGeneration(1L);
        return app;
    }

    /**
     * The defaults (server-side apply, leader election), with the Lease in usher-system and the probes
     * on a free port. namespaces: those the operator watches; none means all. Tests that share an API
     * server name theirs, so that no operator reconciles another test's apps.
     */
    public static OperatorConfig config(Duration resync, String... namespaces) {
        return new OperatorConfig(Set.of(namespaces), PROXY_IMAGE, true, true, Optional.of("usher-system"),
                "test-operator", new InetSocketAddress("127.0.0.1", 0), resync);
    }
}
