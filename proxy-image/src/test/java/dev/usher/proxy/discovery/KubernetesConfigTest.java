package dev.usher.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.usher.proxy.config.ConfigException;
import dev.usher.proxy.config.ConfigLoader;
import dev.usher.proxy.config.HostPort;
import dev.usher.proxy.config.ProxyConfig;
import dev.usher.proxy.config.UpstreamConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code upstream.kubernetes} and {@code readiness} keys, as the operator renders them, and their flags. */
class KubernetesConfigTest {
    @TempDir
    Path dir;

    @Test
    void theOperatorsSchemaBinds() {
        ProxyConfig c = ConfigLoader.fromYaml("""
                upstream:
                  protocol: uwsgi
                  kubernetes: {namespace: shop, service: shop-backend, port: http, kubeconfig: /etc/kube/config}
                readiness: {requireUpstream: true}
                """);

        assertThat(c.upstream().kubernetes())
                .isEqualTo(new UpstreamConfig.Kubernetes("shop", "shop-backend", "http", Path.of("/etc/kube/config")));
        assertThat(c.upstream().staticUpstreams()).isEmpty();
        assertThat(c.readiness().requireUpstream()).isTrue();
    }

    @Test
    void portAndKubeconfigAreOptionalAndANumericPortIsKeptAsWritten() {
        ProxyConfig c = ConfigLoader.fromYaml("upstream: {kubernetes: {namespace: shop, service: shop-backend}}");
        assertThat(c.upstream().kubernetes()).isEqualTo(new UpstreamConfig.Kubernetes("shop", "shop-backend", null, null));
        assertThat(c.readiness().requireUpstream()).isFalse();

        assertThat(ConfigLoader.fromYaml("upstream: {kubernetes: {namespace: shop, service: s, port: 8000}}")
                .upstream().kubernetes().port()).isEqualTo("8000");
    }

    @Test
    void flagsSetTheSameKeys() {
        ProxyConfig c = ConfigLoader.fromArgs("--discovery", "kubernetes", "--namespace", "shop", "--service", "shop-backend",
                "--port", "8000", "--kubeconfig", "/k");

        assertThat(c.upstream().kubernetes()).isEqualTo(new UpstreamConfig.Kubernetes("shop", "shop-backend", "8000", Path.of("/k")));
    }

    @Test
    void staticAndKubernetesAreMutuallyExclusive() {
        assertThatThrownBy(() -> ConfigLoader.fromYaml(
                "upstream: {static: ['127.0.0.1:9000'], kubernetes: {namespace: shop, service: s}}"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("upstream: give either upstream.static or upstream.kubernetes, not both");
        assertThatThrownBy(() -> ConfigLoader.fromArgs("--upstream", "127.0.0.1:9000", "--discovery", "kubernetes",
                "--namespace", "shop", "--service", "s"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("not both");
    }

    @Test
    void oneSourceIsRequired() {
        assertThatThrownBy(() -> ConfigLoader.fromYaml("listen: 127.0.0.1:8080"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("upstream.static").hasMessageContaining("upstream.kubernetes");
    }

    @Test
    void namespaceAndServiceAreRequiredAndUnknownKeysNamed() {
        assertThatThrownBy(() -> ConfigLoader.fromYaml("upstream: {kubernetes: {service: s}}"))
                .isInstanceOf(ConfigException.class).hasMessage("upstream.kubernetes.namespace: required");
        assertThatThrownBy(() -> ConfigLoader.fromArgs("--discovery", "kubernetes", "--namespace", "shop"))
                .isInstanceOf(ConfigException.class).hasMessage("upstream.kubernetes.service: required");
        assertThatThrownBy(() -> ConfigLoader.fromYaml("upstream: {kubernetes: {namespace: n, service: s, prot: http}}"))
                .isInstanceOf(ConfigException.class).hasMessage("upstream.kubernetes.prot: unknown key");
        assertThatThrownBy(() -> ConfigLoader.fromYaml("upstream: {kubernetes: {namespace: n, service: s, port: ''}}"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("upstream.kubernetes.port:");
        assertThatThrownBy(() -> ConfigLoader.fromYaml(
                "upstream: {static: ['127.0.0.1:9000']}\nreadiness: {requireUpstream: maybe}"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("readiness.requireUpstream:");
        assertThatThrownBy(() -> ConfigLoader.fromArgs("--discovery", "dns"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--discovery: 'dns'");
    }

    @Test
    void aSourceGivenByFlagsReplacesTheFilesSource() throws Exception {
        Path kube = Files.writeString(dir.resolve("k8s.yaml"), "upstream: {kubernetes: {namespace: shop, service: s}}\n");
        Path fixed = Files.writeString(dir.resolve("static.yaml"), "upstream: {static: ['127.0.0.1:9000']}\n");

        ProxyConfig overridden = ConfigLoader.fromArgs("--config", kube.toString(), "--upstream", "127.0.0.1:9001");
        assertThat(overridden.upstream().kubernetes()).isNull();
        assertThat(overridden.upstream().staticUpstreams()).containsExactly(new HostPort("127.0.0.1", 9001));

        ProxyConfig discovered = ConfigLoader.fromArgs("--config", fixed.toString(), "--discovery", "kubernetes",
                "--namespace", "shop", "--service", "s");
        assertThat(discovered.upstream().staticUpstreams()).isEmpty();
        assertThat(discovered.upstream().kubernetes().service()).isEqualTo("s");

        ProxyConfig tuned = ConfigLoader.fromArgs("--config", kube.toString(), "--port", "http");
        assertThat(tuned.upstream().kubernetes()).isEqualTo(new UpstreamConfig.Kubernetes("shop", "s", "http", null));
    }
}
