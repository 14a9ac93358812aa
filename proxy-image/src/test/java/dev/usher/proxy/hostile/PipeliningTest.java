package dev.usher.proxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.LogCapture;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.RecordingBackend;
import dev.usher.proxy.testing.RecordingBackend.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pipelined requests are answered in order, however many, with reading paused while responses are owed; past
 * {@code limits.maxRequestsPerConnection} the connection ends cleanly after the last answer, with no reset that
 * would destroy answers the client has not read yet.
 */
class PipeliningTest {
    private RecordingBackend backend;

    @BeforeEach
    void start() throws Exception {
        backend = new RecordingBackend(Protocol.HTTP);
    }

    @AfterEach
    void stop() throws Exception {
        backend.close();
    }

    @Test
    void tenThousandPipelinedRequestsAreAnsweredInOrder() throws Exception {
        int n = 10_000;
        try (ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "limits: {maxRequestsPerConnection: 0}");
             LogCapture log = new LogCapture();
             RawHttp client = new RawHttp(proxy.port())) {
            CompletableFuture<Void> writer = sendPipelined(client, n);
            for (int i = 0; i < n; i++) {
                assertThat(client.readResponse()).as("response %d", i).startsWith("HTTP/1.1 200 ").endsWith(" GET /p-" + i + "\n");
            }
            writer.get(30, TimeUnit.SECONDS);
            assertThat(client.closedByServerWithin(300)).as("the connection stays open for more").isFalse();
            assertThat(log.warnings()).isEmpty();
        }
        assertThat(backend.seen()).hasSize(n);
    }

    @Test
    void pastTheRequestLimitTheConnectionClosesAfterTheLastAnswer() throws Exception {
        int limit = 1000;
        try (ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "");
             RawHttp client = new RawHttp(proxy.port())) {
            CompletableFuture<Void> writer = sendPipelined(client, limit + 500);
            for (int i = 0; i < limit; i++) {
                String response = client.readResponse();
                assertThat(response).as("response %d", i).startsWith("HTTP/1.1 200 ").endsWith(" GET /p-" + i + "\n");
                if (i == limit - 1) {
                    assertThat(response).as("the last answer says so").containsIgnoringCase("connection: close");
                }
            }
            assertThat(client.read()).as("then a clean end of stream, not a reset").isEqualTo(-1);
            writer.get(30, TimeUnit.SECONDS);
        }
        assertThat(backend.seen()).as("requests past the limit are not forwarded").hasSize(limit);
    }

    /** A bad chunk in the last allowed request's body is that request's refusal, not one more request to ignore. */
    @Test
    void aBadBodyInTheLastAllowedRequestIsAnswered() throws Exception {
        try (ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "limits: {maxRequestsPerConnection: 1}");
             RawHttp client = new RawHttp(proxy.port())) {
            client.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n");
            assertThat(client.readResponse()).startsWith("HTTP/1.1 400 ").containsIgnoringCase("connection: close");
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(backend.seen()).as("the backend never read a whole request").isEmpty();
    }

    private static CompletableFuture<Void> sendPipelined(RawHttp client, int n) {
        return CompletableFuture.runAsync(() -> {
            StringBuilder batch = new StringBuilder();
            try {
                for (int i = 0; i < n; i++) {
                    batch.append("GET /p-").append(i).append(" HTTP/1.1\r\nHost: a\r\n\r\n");
                    if (batch.length() > 16_384 || i == n - 1) {
                        client.send(batch.toString().getBytes(StandardCharsets.US_ASCII));
                        batch.setLength(0);
                    }
                }
            } catch (java.io.IOException e) {
                // the proxy closed after its limit: what was not sent was not going to be answered
            }
        });
    }
}
