package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.proxy.testing.LogCapture;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.TestBackend;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an operator reads in the log: a client's mistake is one INFO line without a stack trace, with the client's
 * bytes escaped, and a client that goes away is no warning at all.
 */
class ProxyLoggingTest {
    private TestBackend backend;
    private ProxyFixture proxy;

    @BeforeEach
    void start() {
        backend = new TestBackend("b1");
        proxy = new ProxyFixture(backend);
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void aRefusedRequestIsOneEscapedInfoLine() throws Exception {
        try (LogCapture log = new LogCapture(); RawHttp client = new RawHttp(proxy.port())) {
            client.send("GET /a HTTP/1.1\r\nHost: a\r\nX-\u001b[31mRed\u0007: 1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(client.readResponse()).startsWith("HTTP/1.1 400 ");
            assertThat(log.lines()).singleElement().asString()
                    .startsWith("INFO 400 from ")
                    .doesNotContain("stack trace")
                    .matches(line -> line.chars().noneMatch(c -> c < 0x20 || c == 0x7f), "has no control characters");
        }
    }

    @Test
    void aClientThatHangsUpMidRequestIsNoWarning() throws Exception {
        try (LogCapture log = new LogCapture()) {
            Socket s = new Socket("127.0.0.1", proxy.port());
            s.getOutputStream().write("GET /slow?ms=2000 HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().metrics().contains("usher_requests_in_flight 1.0"));
            s.setSoLinger(true, 0); // a reset, the rudest way to go
            s.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().metrics().contains("usher_requests_in_flight 0.0"));
            assertThat(log.warnings()).isEmpty();
        }
    }
}
