package dev.usher.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.usher.operator.testing.TestApps;
import dev.usher.proxy.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The proxy stops on an unknown key, so the file is checked whole, key by key. Every key is written, so that the
 * ConfigMap shows all the proxy runs with; durations and sizes in the shortest form the proxy reads back.
 */
class ProxyConfigFileTest {

    @Test
    void defaults() {
        assertThat(ProxyConfigFile.of(TestApps.stored("shop-ns", "shop", "image: shop:1")).text()).isEqualTo("""
                listen: 0.0.0.0:8080
                admin: 0.0.0.0:9901
                eventLoops: 0
                transport: auto
                upstream:
                  protocol: http
                  kubernetes:
                    namespace: shop-ns
                    service: shop-backend
                    port: http
                  uwsgi:
                    modifier1: 0
                    bufferSize: 4096
                    params: {}
                  concurrency: 0
                loadBalancing: least-request
                slowStart: 10s
                limits:
                  maxBodySize: 10Mi
                  maxHeaderSize: 16Ki
                  maxInitialLineLength: 8Ki
                  maxConnections: 10000
                  maxRequestsPerConnection: 1000
                timeouts:
                  connect: 2s
                  response: 1m
                  idle: 5m
                  upstreamIdle: 1m
                  requestHead: 1m
                retries:
                  attempts: 2
                  budgetRatio: 0.2
                  minRetriesPerSecond: 10
                outlierDetection:
                  consecutiveFailures: 5
                  baseEjection: 10s
                  maxEjection: 5m
                  panicThresholdPercent: 50
                connectionPool:
                  maxIdlePerUpstream: 256
                queue:
                  maxLength: 1000
                  timeout: 30s
                buffering:
                  request: false
                  memory: 16Ki
                  response: 0
                shutdown:
                  delay: 5s
                  drainTimeout: 30s
                accessLog: false
                readiness:
                  requireUpstream: false
                warmup:
                  requests: 20000
                  timeout: 10s
                """);
    }

    /** Line by line against the defaults' file: each setting changes its own key and nothing else. */
    @Test
    void everySetting() {
        var app = TestApps.stored("shop-ns", "shop", """
                image: flask:1
                protocol: uwsgi
                concurrency: 4
                proxy:
                  loadBalancing: round-robin
                  timeouts: {connect: 500ms, response: 1.5m, idle: 1h}
                  retries: {attempts: 1}
                  maxBodySize: 512Ki
                  buffering: {request: false, response: 1Mi}
                """);
        List<String> defaults = ProxyConfigFile.of(TestApps.stored("shop-ns", "shop", "image: shop:1")).text().lines()
                .toList();
        List<String> set = ProxyConfigFile.of(app).text().lines().toList();

        assertThat(set).hasSameSizeAs(defaults);
        List<String> changes = new ArrayList<>();
        for (int i = 0; i < set.size(); i++) {
            if (!set.get(i).equals(defaults.get(i))) {
                changes.add(defaults.get(i).strip() + " -> " + set.get(i).strip());
            }
        }
        assertThat(changes).containsExactly(
                "protocol: http -> protocol: uwsgi",
                "concurrency: 0 -> concurrency: 4",
                "loadBalancing: least-request -> loadBalancing: round-robin",
                "maxBodySize: 10Mi -> maxBodySize: 512Ki",
                "connect: 2s -> connect: 500ms",
                "response: 1m -> response: 1m30s",
                "idle: 5m -> idle: 1h",
                "attempts: 2 -> attempts: 1",
                "response: 0 -> response: 1Mi");
    }

    @Test
    void aValueTheSchemaLetsThroughButTheProxyWouldRefuseNamesItsField() {
        var halfAByte = TestApps.stored("default", "shop", "image: shop:1\nproxy: {maxBodySize: '1.5'}");
        assertThatThrownBy(() -> ProxyConfigFile.of(halfAByte)).isInstanceOf(ConfigException.class)
                .hasMessage("spec.proxy.maxBodySize: '1.5' is not a whole number of bytes");
        var noTime = TestApps.stored("default", "shop", "image: shop:1\nproxy: {timeouts: {connect: '0'}}");
        assertThatThrownBy(() -> ProxyConfigFile.of(noTime)).isInstanceOf(ConfigException.class)
                .hasMessage("timeouts.connect: must be more than 0");
    }
}
