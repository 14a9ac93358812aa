package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.LogCapture;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.TestBackend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each timeout ends what it guards with the right answer, and never leaves a connection hanging. */
class TimeoutTest {

    @Test
    void idleClientConnectionIsClosed() throws Exception {
        try (TestBackend backend = new TestBackend("b");
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "timeouts: {idle: 300ms}");
             RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).startsWith("HTTP/1.1 200");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void clientStallingMidBodyIsClosed() throws Exception {
        try (TestBackend backend = new TestBackend("b");
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "timeouts: {idle: 300ms}");
             RawHttp client = new RawHttp(proxy.port())) {
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void longResponseWaitIsNotMistakenForAnIdleClient() throws Exception {
        try (TestBackend backend = new TestBackend("b");
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "timeouts: {idle: 200ms, response: 5s}");
             RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send("GET /slow?ms=800 HTTP/1.1\r\nHost: a\r\n\r\n").readResponse())
                    .startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void connectTimeoutIs502() throws Exception {
        // A listener whose accept queue is full drops new SYNs: the connect neither succeeds nor fails.
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), full.getLocalPort()), 200);
                    fillers.add(s);
                }
            } catch (java.io.IOException queueFull) {
                // expected once the queue is full
            }
            try (ProxyFixture proxy = new ProxyFixture(List.of("127.0.0.1:" + full.getLocalPort()),
                    "timeouts: {connect: 300ms}\nretries: {attempts: 1}");
                 LogCapture log = new LogCapture();
                 RawHttp client = new RawHttp(proxy.port())) {
                String response = client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                assertThat(response).startsWith("HTTP/1.1 502");
                assertThat(log.warnings()).singleElement().asString().contains("cannot connect").contains("timed out");
            } finally {
                for (Socket s : fillers) {
                    s.close();
                }
            }
        }
    }
}
