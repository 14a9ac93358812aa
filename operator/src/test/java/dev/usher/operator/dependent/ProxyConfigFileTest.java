package dev.usher.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.operator.testing.TestApps;
import org.junit.jupiter.api.Test;

/** The proxy stops on an unknown key, so the file is checked whole, key by key. */
class ProxyConfigFileTest {

    @Test
    void defaults() {
        assertThat(ProxyConfigFile.render(TestApps.stored("shop-ns", "shop", "image: shop:1"))).isEqualTo("""
                listen: 0.0.0.0:8080
                admin: 0.0.0.0:9901
                upstream:
                  protocol: http
                  kubernetes:
                    namespace: shop-ns
                    service: shop-backend
                    port: http
                loadBalancing: least-request
                timeouts:
                  connect: 2s
                  response: 60s
                  idle: 300s
                retries:
                  attempts: 2
                limits:
                  maxBodySize: 10Mi
                buffering:
                  response: 0
                shutdown:
                  delay: 5s
                  drainTimeout: 30s
                """);
    }

    @Test
    void everySetting() {
        var app = TestApps.stored("default", "flask", """
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
        assertThat(ProxyConfigFile.render(app)).isEqualTo("""
                listen: 0.0.0.0:8080
                admin: 0.0.0.0:9901
                upstream:
                  protocol: uwsgi
                  kubernetes:
                    namespace: default
                    service: flask-backend
                    port: http
                  concurrency: 4
                loadBalancing: round-robin
                timeouts:
                  connect: 500ms
                  response: 1.5m
                  idle: 1h
                retries:
                  attempts: 1
                limits:
                  maxBodySize: 512Ki
                buffering:
                  response: 1Mi
                  request: false
                shutdown:
                  delay: 5s
                  drainTimeout: 30s
                """);
    }
}
