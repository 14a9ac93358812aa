package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.TestBackend;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProxyBasicsTest {
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
    void reusesConnectionsOnBothSides() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            for (int i = 0; i < 50; i++) {
                String response = client.send("GET /hello HTTP/1.1\r\nHost: shop\r\n\r\n").readResponse();
                assertThat(response).startsWith("HTTP/1.1 200").endsWith("b1");
            }
        }
        assertThat(backend.requests()).isEqualTo(50);
        assertThat(backend.connectionsAccepted()).as("upstream connections opened for 50 sequential requests").isEqualTo(1);
    }

    @Test
    void setsForwardingHeadersAndDropsHopByHopOnes() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            String response = client.send("""
                    GET /headers HTTP/1.1\r
                    Host: shop.example\r
                    Connection: keep-alive, X-Secret\r
                    X-Secret: hop-only\r
                    Keep-Alive: timeout=5\r
                    Proxy-Connection: keep-alive\r
                    X-Forwarded-For: 203.0.113.7\r
                    X-Request-Id: abc-123\r
                    \r
                    """).readResponse();
            assertThat(response).startsWith("HTTP/1.1 200");
            String body = response.substring(response.indexOf("\r\n\r\n") + 4);
            assertThat(body)
                    .contains("x-forwarded-for: 203.0.113.7, 127.0.0.1\n")
                    .contains("x-forwarded-proto: http\n")
                    .contains("x-forwarded-host: shop.example\n")
                    .contains("host: shop.example\n")
                    .contains("via: 1.1 usher\n")
                    .contains("x-request-id: abc-123\n")
                    .doesNotContain("x-secret")
                    .doesNotContain("keep-alive: timeout")
                    .doesNotContain("proxy-connection");
            assertThat(response.toLowerCase()).contains("via: 1.1 usher");
        }
    }

    @Test
    void generatesARequestIdWhenTheClientSentNone() throws Exception {
        HttpResponse<String> r = Http.get(proxy.uri("/headers"));
        assertThat(r.body()).containsPattern("x-request-id: [0-9a-f]{32}\n");
    }

    @Test
    void answersPipelinedRequestsInOrder() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            client.send("GET /slow?ms=100 HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET /status?code=201 HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(client.readResponse()).startsWith("HTTP/1.1 200");
            assertThat(client.readResponse()).startsWith("HTTP/1.1 201");
            assertThat(client.readResponse()).startsWith("HTTP/1.1 200").endsWith("b1");
        }
    }

    @Test
    void headResponseHasNoBodyAndTheConnectionStaysUsable() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            String head = client.send("HEAD /hello HTTP/1.1\r\nHost: a\r\n\r\n").readHeadOnly();
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: 2");
            assertThat(client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).endsWith("b1");
        }
    }

    @Test
    void streamsAChunkedBodyBothWays() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            String head = client.readHeadOnly();
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
            assertThat(client.readChunkedBody()).isEqualTo("hello world");
        }
    }

    @Test
    void answersExpectContinueItselfThenStreamsTheBody() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            assertThat(client.readHeadOnly(false)).startsWith("HTTP/1.1 100 Continue");
            assertThat(client.send("hello").readResponse()).startsWith("HTTP/1.1 200").endsWith("received=5");
            assertThat(client.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").readResponse()).endsWith("b1");
        }
    }

    @Test
    void expectContinueOverTheBodyLimitIs413WithoutContinue() throws Exception {
        try (TestBackend small = new TestBackend("small");
             ProxyFixture limited = new ProxyFixture(java.util.List.of(small.hostPort()), "limits: {maxBodySize: 10}");
             RawHttp client = new RawHttp(limited.port())) {
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\nExpect: 100-continue\r\n\r\n");
            assertThat(client.readHeadOnly(false)).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void closesWhenTheClientAsksTo() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            String response = client.send("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").readResponse();
            assertThat(response).containsIgnoringCase("connection: close");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void http10ClientGetsItsAnswerAndAClose() throws Exception {
        try (RawHttp client = new RawHttp(proxy.port())) {
            String response = client.send("GET /hello HTTP/1.0\r\n\r\n").readResponse();
            assertThat(response).startsWith("HTTP/1.1 200").endsWith("b1");
            assertThat(client.closedByServer()).isTrue();
        }
    }
}
