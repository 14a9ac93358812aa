package dev.usher.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The file the operator writes is the file the proxy reads, and --help tells the defaults the schema applies. */
class ProxyConfigYamlTest {

    private static final UpstreamConfig KUBERNETES = new UpstreamConfig(UpstreamConfig.BackendProtocolName.UWSGI, null,
            new UpstreamConfig.Kubernetes("shop", "shop-backend", "http", java.nio.file.Path.of("/etc/kube/config")), null, 4);

    @Test
    void whatIsWrittenReadsBackEqual() {
        ProxyConfig config = new ProxyConfig(new HostPort("0.0.0.0", 8080), null, 2, TransportKind.EPOLL, KUBERNETES,
                LoadBalancing.ROUND_ROBIN, Duration.ofMillis(1500),
                new ProxyConfig.Limits(512L << 10, null, null, null, null),
                new ProxyConfig.Timeouts(Duration.ofMillis(500), Duration.ofSeconds(90), Duration.ofHours(1), null, null),
                new ProxyConfig.Retries(1, null, null), null, null, null,
                new ProxyConfig.Buffering(null, null, java.nio.file.Path.of("/tmp"), 1L << 20),
                new ProxyConfig.Shutdown(Duration.ofSeconds(5), Duration.ofSeconds(30)), true, null,
                new ProxyConfig.Warmup(5000, Duration.ofSeconds(3)));

        String yaml = ProxyConfigYaml.write(config);

        assertThat(ProxyConfigYaml.read(yaml, "test")).isEqualTo(config);
        assertThat(yaml).contains("maxBodySize: 512Ki", "response: 1m30s", "slowStart: 1s500ms", "protocol: uwsgi",
                "request: true", "response: 1Mi", "transport: epoll",
                "requests: 5000", "timeout: 3s");
    }

    /** The key names in the options and in --help are the ones the file uses, with the defaults it gets. */
    @Test
    void everyOptionNamesItsPathInTheFileAndItsDefaultAsWritten() throws Exception {
        JsonNode file = new ObjectMapper(new YAMLFactory()).readTree(
                ProxyConfigYaml.write(new ProxyConfig(null, null, null, null, KUBERNETES, null, null, null, null, null, null,
                        null, null, null, null, null, null, null)));
        List<ConfigKeys.Key> keys = ConfigKeys.ALL;

        assertThat(keys).hasSizeGreaterThan(30);
        for (ConfigKeys.Key key : keys) {
            if (key.option().key().equals("upstream.static") || key.option().key().equals("buffering.directory")) {
                continue; // the other source is set here; the JVM's own temporary folder is left for the reader's
            }
            JsonNode node = file.at("/" + key.option().key().replace('.', '/'));
            assertThat(node.isMissingNode()).as(key.option().key()).isFalse();
            if (key.option().defaultValue() != null && !key.option().key().startsWith("upstream.")) {
                assertThat(node.isValueNode() ? node.asText() : node.toString()).as(key.option().key())
                        .isEqualTo(key.defaultText());
            }
        }
    }

    @Test
    void helpShowsEachFlagsKeyAndDefaultAndTheOtherKeys() {
        String usage = ConfigLoader.usage();

        assertThat(usage).contains("(listen, default 0.0.0.0:8080)", "(loadBalancing, default least-request)",
                "(upstream.kubernetes.namespace, required)", "limits.maxBodySize: 10Mi", "timeouts.connect: 2s",
                "readiness.requireUpstream: false", "(warmup.requests, default 20000)", "warmup.timeout: 10s");
        assertThat(usage).doesNotContain("limits.maxBodySize: 10485760");
    }

    /** The operator writes the file in its own JVM: its temporary folder is not the proxy's. */
    @Test
    void theTemporaryFolderIsWrittenOnlyWhenItIsNotTheJvmsOwn() {
        assertThat(ProxyConfigYaml.write(withBuffering(null))).doesNotContain("directory:");
        assertThat(ProxyConfigYaml.write(withBuffering(java.nio.file.Path.of("/var/spool/usher"))))
                .contains("directory: /var/spool/usher");
    }

    private static ProxyConfig withBuffering(java.nio.file.Path directory) {
        return new ProxyConfig(null, null, null, null, KUBERNETES, null, null, null, null, null, null, null, null,
                new ProxyConfig.Buffering(null, null, directory, null), null, null, null, null);
    }

    /** The operator's classpath has fabric8's Vert.x on Netty 4.1, the proxy's Netty 4.2: the schema takes neither. */
    @Test
    void theSchemaNeedsNoNetty() {
        assertThatThrownBy(() -> Class.forName("io.netty.buffer.ByteBuf")).isInstanceOf(ClassNotFoundException.class);
    }

    @ParameterizedTest
    @CsvSource({"500ms, PT0.5S", "1h30m, PT1H30M", "1.5m, PT1M30S", "0, PT0S", "250us, PT0.00025S", "-2s, PT-2S"})
    void durationsUseGosGrammar(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
        assertThat(Durations.parse(Durations.format(expected))).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "1y", "1.5", "s", "1h-30m", "1.s", "2 s"})
    void notDurations(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text);
    }

    @ParameterizedTest
    @CsvSource({"1.5Ki, 1536", "1Ti, 1099511627776", "0, 0", "16Ki, 16384"})
    void sizesAreKubernetesQuantitiesOfWholeBytes(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
        assertThat(Sizes.parse(Sizes.format(bytes))).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"100m", "1.5", "-1Ki", "1e3", "10MB"})
    void notSizes(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text);
    }
}
