package dev.usher.operator.testing;

import dev.usher.operator.config.OperatorConfig;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** ProxiedApps as a user would write them, and the operator settings the tests run with. */
public final class TestApps {

    public static final String PROXY_IMAGE = "registry.test/usher-proxy:test";

    private TestApps() {
    }

    /** A ProxiedApp from YAML, as {@code kubectl apply} would send it. */
    public static ProxiedApp app(KubernetesClient client, String yaml) {
        return client.getKubernetesSerialization().unmarshal(yaml, ProxiedApp.class);
    }

    public static ProxiedApp app(String namespace, String name, String specYaml) {
        return io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
                apiVersion: usher.dev/v1alpha1
                kind: ProxiedApp
                metadata: {name: %s, namespace: %s}
                spec:
                %s""".formatted(name, namespace, specYaml.indent(2)), ProxiedApp.class);
    }

    public static OperatorConfig config(Duration resync) {
        return new OperatorConfig(Set.of(), PROXY_IMAGE, false, true, Optional.of("usher-system"),
                "test-operator", new InetSocketAddress("127.0.0.1", 0), resync);
    }

    public static Map<String, String> env() {
        return Map.of();
    }
}
