package dev.usher.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
    private static final String ONE_UPSTREAM = "upstream: {static: ['127.0.0.1:9000']}\n";

    @TempDir
    Path dir;

    private Path file(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        return f;
    }

    /** A config that is valid apart from {@code extra}, so a failure can only come from {@code extra}. */
    private static ProxyConfig withUpstream(String extra) {
        return ConfigLoader.fromYaml(ONE_UPSTREAM + extra);
    }

    @Test
    void onlyAnUpstreamIsRequiredAndEverythingElseHasTheDocumentedDefault() {
        ProxyConfig c = ConfigLoader.fromArgs("--upstream", "127.0.0.1:9000");

        assertThat(c.listen()).isEqualTo(new HostPort("0.0.0.0", 8080));
        assertThat(c.admin()).isEqualTo(new HostPort("0.0.0.0", 9901));
        assertThat(c.eventLoops()).isZero();
        assertThat(c.transport()).isEqualTo(TransportKind.AUTO);
        assertThat(c.loadBalancing()).isEqualTo(LoadBalancing.LEAST_REQUEST);
        assertThat(c.slowStart()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.accessLog()).isFalse();
        assertThat(c.upstream().protocol()).isEqualTo(UpstreamConfig.BackendProtocolName.HTTP);
        assertThat(c.upstream().staticUpstreams()).containsExactly(new HostPort("127.0.0.1", 9000));
        assertThat(c.limits()).isEqualTo(new ProxyConfig.Limits(10L * 1024 * 1024, 16 * 1024, 8 * 1024, 10_000, 1000));
        assertThat(c.timeouts()).isEqualTo(new ProxyConfig.Timeouts(
                Duration.ofSeconds(2), Duration.ofSeconds(60), Duration.ofSeconds(300), Duration.ofSeconds(60), Duration.ofSeconds(60)));
        assertThat(c.retries()).isEqualTo(new ProxyConfig.Retries(2, 0.2, 10));
        assertThat(c.outlierDetection()).isEqualTo(new ProxyConfig.OutlierDetection(
                5, Duration.ofSeconds(10), Duration.ofMinutes(5), 50));
        assertThat(c.maxIdlePerUpstream()).isEqualTo(256);
        assertThat(c.shutdown()).isEqualTo(new ProxyConfig.Shutdown(Duration.ZERO, Duration.ofSeconds(30)));
        assertThat(c.buffering()).isEqualTo(new ProxyConfig.Buffering(
                false, 16 * 1024, Path.of(System.getProperty("java.io.tmpdir")), 0));
        assertThat(c.warmup()).isEqualTo(new ProxyConfig.Warmup(20_000, Duration.ofSeconds(10)));
    }

    @Test
    void requestBufferingIsOnByDefaultOnlyForUwsgiWhoseWorkersServeOneRequestEach() {
        assertThat(ConfigLoader.fromArgs("--upstream", "127.0.0.1:9000", "--protocol", "uwsgi").buffering().request()).isTrue();
        assertThat(ConfigLoader.fromYaml("upstream: {static: ['127.0.0.1:9000'], protocol: uwsgi}\nbuffering: {request: false}").buffering().request()).isFalse();
        assertThat(withUpstream("buffering: {request: true, memory: 1Mi, directory: /var/tmp, response: 4Mi}").buffering())
                .isEqualTo(new ProxyConfig.Buffering(true, 1 << 20, Path.of("/var/tmp"), 4 << 20));
        assertThatThrownBy(() -> withUpstream("buffering: {requests: true}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("buffering.requests");
    }

    @Test
    void helpReturnsNullSoMainCanPrintUsageInsteadOfStarting() {
        assertThat(ConfigLoader.fromArgs("--upstream", "127.0.0.1:9000", "--help")).isNull();
        assertThat(ConfigLoader.fromArgs("-h")).isNull();
    }

    @Test
    void everyFlagSetsItsKey() {
        ProxyConfig c = ConfigLoader.fromArgs(
                "--listen", "127.0.0.1:8081", "--admin", "127.0.0.1:9902", "--event-loops", "4",
                "--load-balancing", "round-robin", "--protocol", "http", "--access-log",
                "--warmup-requests", "0", "--transport", "nio", "--upstream", "127.0.0.1:9000");

        assertThat(c.listen()).isEqualTo(new HostPort("127.0.0.1", 8081));
        assertThat(c.admin()).isEqualTo(new HostPort("127.0.0.1", 9902));
        assertThat(c.eventLoops()).isEqualTo(4);
        assertThat(c.transport()).isEqualTo(TransportKind.NIO);
        assertThat(c.loadBalancing()).isEqualTo(LoadBalancing.ROUND_ROBIN);
        assertThat(c.accessLog()).isTrue();
        assertThat(c.warmup().requests()).isZero();
    }

    @Test
    void upstreamFlagIsRepeatableAndKeepsOrder() {
        ProxyConfig c = ConfigLoader.fromArgs(
                "--upstream", "127.0.0.1:9001", "--upstream", "127.0.0.2:9002", "--upstream", "[::1]:9003");

        assertThat(c.upstream().staticUpstreams()).containsExactly(
                new HostPort("127.0.0.1", 9001), new HostPort("127.0.0.2", 9002), new HostPort("::1", 9003));
    }

    @Test
    void flagsOverrideTheFileWhereverTheyAppearAndUnsetKeysKeepFileValues() throws Exception {
        Path f = file("usher.yaml", """
                listen: 127.0.0.1:1000
                loadBalancing: round-robin
                upstream:
                  static: [127.0.0.1:9001, 127.0.0.1:9002]
                timeouts:
                  connect: 1s
                retries:
                  attempts: 3
                """);

        // --listen comes before --config on purpose: the file must not win just by being read later.
        ProxyConfig c = ConfigLoader.fromArgs(
                "--listen", "127.0.0.1:2000", "--config", f.toString(), "--upstream", "127.0.0.1:9003");

        assertThat(c.listen()).isEqualTo(new HostPort("127.0.0.1", 2000));
        assertThat(c.upstream().staticUpstreams())
                .as("a flag-given upstream list replaces the file's instead of adding to it")
                .containsExactly(new HostPort("127.0.0.1", 9003));
        assertThat(c.loadBalancing()).isEqualTo(LoadBalancing.ROUND_ROBIN);
        assertThat(c.timeouts().connect()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.timeouts().response()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.retries().attempts()).isEqualTo(3);
    }

    @Test
    void aNestedFlagDoesNotWipeOutTheRestOfItsSectionInTheFile() throws Exception {
        Path f = file("usher.yaml", "upstream: {static: ['127.0.0.1:9001']}\n");

        ProxyConfig c = ConfigLoader.fromArgs("--config", f.toString(), "--protocol", "http");

        assertThat(c.upstream().staticUpstreams()).containsExactly(new HostPort("127.0.0.1", 9001));
    }

    @Test
    void aJsonFileIsAcceptedToo() throws Exception {
        Path f = file("usher.json", """
                {"upstream": {"static": ["127.0.0.1:9001"]}, "retries": {"attempts": 4}}
                """);

        ProxyConfig c = ConfigLoader.fromArgs("--config", f.toString());

        assertThat(c.retries().attempts()).isEqualTo(4);
        assertThat(c.upstream().staticUpstreams()).containsExactly(new HostPort("127.0.0.1", 9001));
    }

    @Test
    void anUnreadableConfigFileIsAConfigErrorNamingTheFile() {
        Path missing = dir.resolve("nope.yaml");

        assertThatThrownBy(() -> ConfigLoader.fromArgs("--config", missing.toString()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void aFileThatIsNotAMappingIsRejected() throws Exception {
        Path f = file("list.yaml", "- 127.0.0.1:9000\n");

        assertThatThrownBy(() -> ConfigLoader.fromArgs("--config", f.toString()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(f.toString());
    }

    @Test
    void unknownFlagsAndFlagsWithoutAValueAreRejected() {
        assertThatThrownBy(() -> ConfigLoader.fromArgs("--upstream", "127.0.0.1:9000", "--listn", ":80"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--listn");
        assertThatThrownBy(() -> ConfigLoader.fromArgs("--upstream"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--upstream");
        // The next flag is not taken as the value: "--listen --access-log" is a forgotten value, not a host.
        assertThatThrownBy(() -> ConfigLoader.fromArgs("--upstream", "127.0.0.1:9000", "--listen", "--access-log"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--listen");
    }

    // A typo must stop start-up, not silently fall back to a default: the message has to say which key.
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            listn: 127.0.0.1:80                      | listn
            timeouts: {conect: 1s}                   | timeouts.conect
            limits: {maxBody: 1Mi}                   | limits.maxBody
            retries: {attemps: 3}                    | retries.attemps
            outlierDetection: {consecutive: 3}       | outlierDetection.consecutive
            connectionPool: {maxIdle: 3}             | connectionPool.maxIdle
            shutdown: {dely: 1s}                     | shutdown.dely
            upstream: {static: ["127.0.0.1:1"], x: 1} | upstream.x
            """)
    void unknownKeysFailNamingTheirFullPath(String yaml, String key) {
        String config = yaml.startsWith("upstream:") ? yaml : ONE_UPSTREAM + yaml;

        assertThatThrownBy(() -> ConfigLoader.fromYaml(config))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(key);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            timeouts: {connect: 2x}                  | timeouts.connect
            timeouts: {response: 0s}                 | timeouts.response
            timeouts: {idle: -1s}                    | timeouts.idle
            timeouts: {upstreamIdle: 5}              | timeouts.upstreamIdle
            timeouts: 5s                             | timeouts
            outlierDetection: {baseEjection: 0ms}    | outlierDetection.baseEjection
            outlierDetection: {panicThresholdPercent: 101} | outlierDetection.panicThresholdPercent
            outlierDetection: {consecutiveFailures: 0} | outlierDetection.consecutiveFailures
            slowStart: soon                          | slowStart
            shutdown: {drainTimeout: 1y}             | shutdown.drainTimeout
            limits: {maxBodySize: 10Xi}              | limits.maxBodySize
            limits: {maxHeaderSize: lots}            | limits.maxHeaderSize
            retries: {attempts: 0}                   | retries.attempts
            retries: {attempts: 11}                  | retries.attempts
            retries: {attempts: 2.5}                 | retries.attempts
            retries: {budgetRatio: 1.5}              | retries.budgetRatio
            retries: {minRetriesPerSecond: -1}       | retries.minRetriesPerSecond
            eventLoops: -1                           | eventLoops
            eventLoops: many                         | eventLoops
            connectionPool: {maxIdlePerUpstream: 100001} | connectionPool.maxIdlePerUpstream
            accessLog: yes please                    | accessLog
            warmup: {requests: -1}                   | warmup.requests
            warmup: {timeout: 0s}                    | warmup.timeout
            loadBalancing: random                    | loadBalancing
            transport: kqueue                        | transport
            listen: localhost                        | listen
            listen: 127.0.0.1:http                   | listen
            admin: 127.0.0.1:70000                   | admin
            """)
    void badValuesFailNamingTheirKey(String yaml, String key) {
        assertThatThrownBy(() -> withUpstream(yaml))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(key + ":");
    }

    @Test
    void aBadUpstreamNamesItsPositionInTheList() {
        assertThatThrownBy(() -> ConfigLoader.fromYaml("upstream: {static: ['127.0.0.1:9000', 'nohost']}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("upstream.static[1]");
        assertThatThrownBy(() -> ConfigLoader.fromArgs("--upstream", "::1:9000"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("upstream.static[0]");
    }

    @Test
    void badFlagValuesNameTheKeyTheFlagSets() {
        assertThatThrownBy(() -> ConfigLoader.fromArgs("--upstream", "127.0.0.1:9000", "--load-balancing", "random"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("loadBalancing");
        assertThatThrownBy(() -> ConfigLoader.fromArgs("--upstream", "127.0.0.1:9000", "--event-loops", "four"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("eventLoops");
        assertThatThrownBy(() -> ConfigLoader.fromArgs("--upstream", "127.0.0.1:9000", "--transport", "uring"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("transport");
    }

    @Test
    void withoutUpstreamsTheProxyRefusesToStart() {
        assertThatThrownBy(() -> ConfigLoader.fromArgs())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("upstream.static");
        assertThatThrownBy(() -> ConfigLoader.fromYaml("upstream: {static: []}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("upstream.static");
        assertThatThrownBy(() -> ConfigLoader.fromYaml(""))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("upstream.static");
    }

    @Test
    void ipv6AddressesInBracketsParse() {
        ProxyConfig c = ConfigLoader.fromArgs("--upstream", "[::1]:8080", "--listen", "[::]:8081");

        assertThat(c.upstream().staticUpstreams()).containsExactly(new HostPort("::1", 8080));
        assertThat(c.listen()).isEqualTo(new HostPort("::", 8081));
    }

    @ParameterizedTest
    @CsvSource({"500ms, 500", "2s, 2000", "5m, 300000", "1h, 3600000", "1.5s, 1500", "0s, 0"})
    void durationsAcceptTheKubernetesStyleUnits(String text, long millis) {
        assertThat(withUpstream("slowStart: " + text).slowStart()).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @CsvSource({"16Ki, 16384", "10Mi, 10485760", "1Gi, 1073741824", "'\"512\"', 512", "512, 512", "2k, 2000", "3M, 3000000"})
    void sizesAcceptBinaryAndDecimalSuffixesAndPlainBytes(String text, long bytes) {
        assertThat(withUpstream("limits: {maxBodySize: " + text + "}").limits().maxBodySize()).isEqualTo(bytes);
    }

    @Test
    void negativeSizesAreRejected() {
        assertThatThrownBy(() -> withUpstream("limits: {maxBodySize: -1}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("limits.maxBodySize");
    }

    @Test
    void aSizeTooLargeToRepresentIsAConfigError() {
        assertThatThrownBy(() -> withUpstream("limits: {maxBodySize: 99999999999Gi}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("limits.maxBodySize");
    }
}
