package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.TestBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Upstreams that refuse, reset or die mid-response: retries where safe, honest errors where not. */
class UpstreamFailureTest {
    private final TestBackend a = new TestBackend("a");
    private final TestBackend b = new TestBackend("b");
    private ProxyFixture proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        a.close();
        b.close();
    }

    private static String deadUpstream() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void connectFailuresAreRetriedOnAnotherUpstreamForAnyMethod() throws Exception {
        proxy = new ProxyFixture(List.of(deadUpstream(), a.hostPort()),
                "loadBalancing: round-robin\nretries: {attempts: 2, minRetriesPerSecond: 1000}");
        for (int i = 0; i < 10; i++) {
            assertThat(Http.get(proxy.uri("/hello")).statusCode()).isEqualTo(200);
            var post = Http.post(proxy.uri("/upload"), "payload-" + i);
            assertThat(post.statusCode()).isEqualTo(200);
            assertThat(post.body()).isEqualTo("received=" + ("payload-" + i).length());
        }
    }

    @Test
    void aSentNonIdempotentRequestIsNotRetried() throws Exception {
        proxy = new ProxyFixture(List.of(a.hostPort(), b.hostPort()), "retries: {attempts: 3, minRetriesPerSecond: 1000}");
        var r = Http.post(proxy.uri("/close-on-request"), "order=42");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(a.requests("/close-on-request") + b.requests("/close-on-request"))
                .as("times the POST reached a backend").isEqualTo(1);
    }

    @Test
    void aSentIdempotentRequestWithoutBodyIsRetriedUpToTheAttemptLimit() throws Exception {
        proxy = new ProxyFixture(List.of(a.hostPort(), b.hostPort()), "retries: {attempts: 3, minRetriesPerSecond: 1000}");
        var r = Http.get(proxy.uri("/close-on-request"));
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(a.requests("/close-on-request") + b.requests("/close-on-request")).isEqualTo(3);
    }

    @Test
    void aBackendDyingMidResponseClosesTheClientConnection() throws Exception {
        proxy = new ProxyFixture(a);
        try (RawHttp client = new RawHttp(proxy.port())) {
            String head = client.send("GET /cut HTTP/1.1\r\nHost: x\r\n\r\n").readHeadOnly();
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: 1000000");
            assertThat(client.closedByServer()).as("connection closed before the promised body").isTrue();
        }
        assertThatThrownBy(() -> Http.get(proxy.uri("/cut"))).isInstanceOf(IOException.class);
    }

    @Test
    void upstream5xxIsPassedThrough() throws Exception {
        proxy = new ProxyFixture(a);
        var r = Http.get(proxy.uri("/status?code=500"));
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.body()).isEqualTo("a");
    }
}
