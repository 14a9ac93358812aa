package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.RecordingBackend;
import dev.usher.proxy.testing.RecordingBackend.Protocol;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a backend answers before its final response: 1xx hints go on to clients that can take them, and a
 * {@code 101 Switching Protocols} is only honoured when it answers the upgrade the client asked for.
 */
class InterimAndSwitchTest {
    private static final String WEBSOCKET_HEADERS = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    private RecordingBackend backend;
    private ProxyFixture proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new RecordingBackend(Protocol.HTTP);
        proxy = new ProxyFixture(List.of(backend.hostPort()), "retries: {attempts: 1}");
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    @Test
    void earlyHintsReachAnHttp11Client() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            client.send("GET /early-hints HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readHeadOnly(false)).startsWith("HTTP/1.1 103 ").containsIgnoringCase("link: </style.css>; rel=preload");
            assertThat(client.readResponse()).startsWith("HTTP/1.1 200 ").endsWith("GET /early-hints\n");
            assertThat(client.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n").readResponse())
                    .as("the connection is in step afterwards").endsWith("GET /next\n");
        }
    }

    @Test
    void earlyHintsAreNotSentToAnHttp10Client() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            client.send("GET /early-hints HTTP/1.0\r\nHost: a\r\n\r\n");
            assertThat(client.readHeadOnly(false)).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void aWebSocketSwitchWithTheWrongAcceptIs502() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            String response = client.send("GET /switch-bad-accept HTTP/1.1\r\nHost: a\r\n" + WEBSOCKET_HEADERS + "\r\n").readResponse();
            assertThat(response).startsWith("HTTP/1.1 502 ").containsIgnoringCase("connection: close");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void aSwitchTheClientDidNotAskForIs502() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send("GET /switch-unasked HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).startsWith("HTTP/1.1 502 ");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void requestsPipelinedBehindAnUpgradeCloseTheConnection() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            client.send("GET /switch-unasked HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: mystery\r\n\r\n"
                    + "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
            assertThat(client.closedByServer()).as("neither tunnelled nor answered: closed").isTrue();
        }
        assertThat(backend.seen()).extracting(RecordingBackend.Seen::target).containsExactly("/switch-unasked");
    }

    @Test
    void theAcceptValueIsRfc6455s() {
        // The example of RFC 6455 section 1.3.
        assertThat(Upgrades.acceptFor("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
