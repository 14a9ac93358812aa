package dev.usher.proxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.RecordingBackend;
import dev.usher.proxy.testing.RecordingBackend.Protocol;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code timeouts.requestHead}: a head must be complete within it of its first byte, and dripping bytes does not
 * extend it (slowloris). A connection that sends nothing at all is closed after it without an answer. A quiet
 * keep-alive connection between requests is the idle timeout's business, not this one's.
 */
class RequestHeadTimeoutTest {
    private RecordingBackend backend;
    private ProxyFixture proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new RecordingBackend(Protocol.HTTP);
        proxy = new ProxyFixture(List.of(backend.hostPort()), "timeouts: {requestHead: 500ms, idle: 30s}");
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    @Test
    void aDrippedHeadGets408WhileTheClientIsStillDripping() throws Exception {
        AtomicBoolean dripping = new AtomicBoolean(true);
        try (RawHttp client = new RawHttp(proxy.port())) {
            client.send("GET /a HTTP/1.1\r\nHost: a\r\nX-Drip: ");
            CompletableFuture<Void> drip = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 50; i++) { // 5 s of one byte per 100 ms, ten times the deadline
                        client.send("x");
                        TimeUnit.MILLISECONDS.sleep(100);
                    }
                } catch (Exception e) {
                    // closed by the proxy: the point of the test
                } finally {
                    dripping.set(false);
                }
            });
            String response = client.readResponse();
            assertThat(dripping).as("answered before the drip ended: dripping does not extend the deadline").isTrue();
            assertThat(response).startsWith("HTTP/1.1 408 ").containsIgnoringCase("connection: close");
            assertThat(client.closedByServer()).isTrue();
            drip.cancel(true);
        }
        assertThat(backend.seen()).isEmpty();
    }

    @Test
    void aConnectionThatSendsNothingIsClosedWithoutAnAnswer() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.read()).as("end of stream, no bytes").isEqualTo(-1);
        }
    }

    @Test
    void anEmptyLineAfterABodyIsNoHeadAndGetsNo408() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab\r\n").readResponse())
                    .startsWith("HTTP/1.1 200 ");
            assertThat(client.closedByServerWithin(1500)).as("open after three times the head deadline").isFalse();
            assertThat(client.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void aQuietKeepAliveConnectionIsNotCutByTheHeadDeadline() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).startsWith("HTTP/1.1 200 ");
            assertThat(client.closedByServerWithin(1500)).as("open after three times the head deadline").isFalse();
            assertThat(client.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).startsWith("HTTP/1.1 200 ");
        }
    }
}
