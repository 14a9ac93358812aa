package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.testing.LogCapture;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.TestBackend;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every kind of bad input gets its status and, where the stream cannot be trusted, a closed connection. */
class BadInputTest {
    private TestBackend backend;
    private ProxyFixture proxy;

    @BeforeEach
    void start() {
        backend = new TestBackend("b1");
        proxy = new ProxyFixture(List.of(backend.hostPort()), """
                limits: {maxBodySize: 1Ki, maxHeaderSize: 4Ki}
                timeouts: {response: 300ms}
                """);
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private void assertAnsweredAndClosed(String request, int status) throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            String response = client.send(request).readResponse();
            assertThat(response).startsWith("HTTP/1.1 " + status).containsIgnoringCase("connection: close");
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(backend.requests()).as("requests that reached the backend").isZero();
    }

    @Test
    void malformedRequestLineIs400() throws Exception {
        assertAnsweredAndClosed("GARBAGE\r\n\r\n", 400);
    }

    /** An empty method is no method: refused like any other bad request line, not dropped with the connection. */
    @Test
    void requestLineWithoutAMethodIs400() throws Exception {
        assertAnsweredAndClosed(" /hello HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    }

    @Test
    void invalidHeaderIs400() throws Exception {
        assertAnsweredAndClosed("GET /hello HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400);
    }

    @Test
    void missingHostOnHttp11Is400() throws Exception {
        assertAnsweredAndClosed("GET /hello HTTP/1.1\r\n\r\n", 400);
    }

    @Test
    void headersOverTheLimitAre431() throws Exception {
        assertAnsweredAndClosed("GET /hello HTTP/1.1\r\nHost: a\r\nX-Big: " + "x".repeat(8192) + "\r\n\r\n", 431);
    }

    @Test
    void declaredBodyOverTheLimitIs413() throws Exception {
        assertAnsweredAndClosed("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n", 413);
    }

    @Test
    void chunkedBodyGrowingOverTheLimitIs413() throws Exception {
        String chunk = "400\r\n" + "a".repeat(1024) + "\r\n";
        try (RawHttp client = new RawHttp(proxy.port())) {
            String response = client.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + chunk + chunk + "0\r\n\r\n").readResponse();
            assertThat(response).startsWith("HTTP/1.1 413");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    /**
     * Chunk extensions and trailer fields are framing, dropped on the way up: the body limit does not count them, so
     * they have limits of their own (the request line's, the header section's), or a client could stream them forever.
     */
    @Test
    void anEndlessChunkExtensionOrTrailerSectionIs400() throws Exception {
        for (String framing : List.of("5;a=" + "b".repeat(16_384), "0\r\n" + "X-T: t\r\n".repeat(2048))) {
            try (RawHttp client = new RawHttp(proxy.port())) {
                String response = client.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + framing).readResponse();
                assertThat(response).as(framing.substring(0, 5)).startsWith("HTTP/1.1 400").containsIgnoringCase("connection: close");
                assertThat(client.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void contentLengthWithTransferEncodingIs400() throws Exception {
        assertAnsweredAndClosed("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
    }

    @Test
    void differingDuplicateContentLengthsAre400() throws Exception {
        assertAnsweredAndClosed("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", 400);
    }

    @Test
    void transferEncodingNotEndingInChunkedIs400() throws Exception {
        assertAnsweredAndClosed("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400);
    }

    @Test
    void emptyPoolIs503AndTheConnectionStaysUsable() throws Exception {
        proxy.server().pool().update(List.of());
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).startsWith("HTTP/1.1 503");
            assertThat(client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).startsWith("HTTP/1.1 503");
        }
    }

    @Test
    void refusedUpstreamIs502() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        proxy.server().pool().update(List.of(new Endpoint(new java.net.InetSocketAddress("127.0.0.1", deadPort), true)));
        try (LogCapture log = new LogCapture(); RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").readResponse())
                    .as("the client learns the status, not the upstream's address")
                    .startsWith("HTTP/1.1 502").endsWith("\r\n\r\n502 Bad Gateway\n").doesNotContain(Integer.toString(deadPort));
            assertThat(log.warnings()).singleElement().asString().contains("cannot connect").contains(Integer.toString(deadPort));
        }
    }

    @Test
    void slowUpstreamIs504() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send("GET /slow?ms=3000 HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).startsWith("HTTP/1.1 504");
            assertThat(client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").readResponse())
                    .as("the client connection survives an upstream timeout").startsWith("HTTP/1.1 200");
        }
    }
}
