package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.usher.proxy.ProxyServer;
import dev.usher.proxy.config.ConfigException;
import dev.usher.proxy.config.ConfigLoader;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.TestBackend;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * buffering.request with the http protocol, where it is off by default: the backend sees nothing of a request until
 * its whole body is in, then gets the same bytes in the same framing. The uwsgi side, and the file a large body
 * spills to, are shown against a real uWSGI in UwsgiBufferingIT.
 */
class RequestBufferingTest {

    @Test
    void theBackendSeesTheRequestOnlyOnceTheBodyIsInAndGetsItWhole() throws Exception {
        try (TestBackend backend = new TestBackend("b");
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "buffering: {request: true, memory: 1Ki}");
             RawHttp client = new RawHttp(proxy.port())) {
            String body = "0123456789abcdef".repeat(4096);
            client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length() + "\r\n\r\n")
                    .send(body.substring(0, 10_000));
            // Streaming, the head would reach the backend within milliseconds; buffered, it stays away for good.
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                    .until(() -> proxy.server().metrics().contains("usher_requests_in_flight 1.0") && backend.requests() == 0);

            client.send(body.substring(10_000));
            assertThat(client.readHeadOnly()).startsWith("HTTP/1.1 200 ");
            assertThat(client.readChunkedBody()).isEqualTo(body);

            client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");
            assertThat(client.readHeadOnly()).startsWith("HTTP/1.1 200 ");
            assertThat(client.readChunkedBody()).as("a chunked body").isEqualTo(body);
        }
    }

    /** The response timeout counts from the connection: a backend that never reads the body does not hold it. */
    @Test
    void aBackendThatNeverReadsTheBodyIsAGatewayTimeout() throws Exception {
        try (ServerSocket deaf = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ProxyFixture proxy = new ProxyFixture(List.of("127.0.0.1:" + deaf.getLocalPort()), """
                     buffering: {request: true, memory: 1Ki}
                     limits: {maxBodySize: 64Mi}
                     timeouts: {response: 1s}
                     retries: {attempts: 1}
                     """);
             RawHttp client = new RawHttp(proxy.port())) {
            int size = 32 << 20;
            client.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n").send(new byte[size]);
            assertThat(client.readResponse()).startsWith("HTTP/1.1 504 ");
        }
    }

    @Test
    void aSpillDirectoryThatIsNotThereStopsTheStart() {
        assertThatThrownBy(() -> ProxyServer.start(ConfigLoader.fromYaml("""
                listen: 127.0.0.1:0
                admin: 127.0.0.1:0
                upstream: {static: ["127.0.0.1:9"], protocol: uwsgi}
                buffering: {directory: /nonexistent/usher-spill}
                """))).isInstanceOf(ConfigException.class).hasMessageContaining("buffering.directory");
    }
}
