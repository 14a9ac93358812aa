package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.ScriptedBackend;
import dev.usher.proxy.testing.ScriptedBackend.Answer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A backend's response goes to the client as the lines the backend sent, less what belongs to the backend's
 * connection, with the framing the client's connection needs. Responses a client could read differently from the
 * proxy are answered 502 instead of being forwarded, and bytes after a response's end never answer another request.
 */
class ResponseForwardingTest {
    private static final String GET = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";

    private ScriptedBackend backend;
    private ProxyFixture proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new ScriptedBackend();
        proxy = new ProxyFixture(List.of(backend.hostPort()), "retries: {attempts: 1}");
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    @Test
    void keepsTheBackendsLinesAsSentAndDropsItsHopByHopOnes() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 299 Quite Fine\r\nX-Mixed-Case: Value  With  Spaces\r\n"
                + "Connection: X-Hop, keep-alive\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nUpgrade: h2c\r\n"
                + "Via: 1.1 inner\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            String response = client.send(GET).readResponse();
            assertThat(response).startsWith("HTTP/1.1 299 Quite Fine\r\n")
                    .contains("\r\nX-Mixed-Case: Value  With  Spaces\r\n")
                    .contains("\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n")
                    .contains("\r\nVia: 1.1 inner\r\n").contains("\r\nvia: 1.1 usher\r\n")
                    .doesNotContainIgnoringCase("x-hop").doesNotContainIgnoringCase("keep-alive")
                    .doesNotContainIgnoringCase("upgrade").doesNotContainIgnoringCase("connection:")
                    .endsWith("\r\n\r\nok");
        }
    }

    /**
     * A backend's Connection line may name a thousand fields within the head limit: exactly the named lines are
     * dropped, whatever their case, the others go in their order.
     */
    @Test
    void aConnectionLineNamingAThousandFieldsDropsExactlyThose() throws Exception {
        int tokens = 1000;
        StringBuilder connection = new StringBuilder("Connection: keep-alive");
        for (int i = 0; i < tokens; i++) {
            connection.append(",X-T").append(i);
        }
        StringBuilder sent = new StringBuilder();
        StringBuilder kept = new StringBuilder();
        for (int i = tokens / 2; i < tokens + tokens / 2; i++) {
            String line = "x-t" + i + ": " + i + "\r\n";
            sent.append(line);
            if (i >= tokens) {
                kept.append(line);
            }
        }
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\n" + sent + connection + "\r\nContent-Length: 2\r\n\r\nok"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readResponse())
                    .isEqualTo("HTTP/1.1 200 OK\r\n" + kept + "Content-Length: 2\r\nvia: 1.1 usher\r\n\r\nok");
        }
    }

    @Test
    void aChunkedBodyIsRechunkedWithoutExtensionsOrTrailers() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"), Answer.of(ok("again")));
        try (RawHttp client = new RawHttp(proxy.port())) {
            String head = client.send(GET).readHeadOnly();
            assertThat(head).containsIgnoringCase("transfer-encoding: chunked").doesNotContainIgnoringCase("content-length");
            assertThat(client.readChunkedBody()).isEqualTo("hello world");
            assertThat(client.send(GET).readResponse()).as("both connections stay in step").endsWith("again");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }

    /**
     * Chunk size and trailer lines as long as the decoder takes (8 KiB with their CR), each byte in a read of its
     * own: the body comes out whole.
     */
    @Test
    void chunkLinesAtTheLimitDrippedAByteAtATimeAreReadWhole() throws Exception {
        String extension = ";e=" + "x".repeat(8191 - 4);
        String trailer = "X-T: " + "t".repeat(8191 - 5);
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5" + extension + "\r\nhello\r\n6"
                + extension + "\r\n world\r\n0\r\n" + trailer + "\r\n\r\n").inPiecesOf(1), Answer.of(ok("again")));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readHeadOnly()).containsIgnoringCase("transfer-encoding: chunked");
            assertThat(client.readChunkedBody()).isEqualTo("hello world");
            assertThat(client.send(GET).readResponse()).as("both connections stay in step").endsWith("again");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void aChunkedBodyGoesToAnHttp10ClientAsItsDataThenTheClose() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            String head = client.send("GET /x HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n").readHeadOnly();
            assertThat(head).containsIgnoringCase("connection: close").doesNotContainIgnoringCase("transfer-encoding");
            assertThat(new String(client.readAll())).isEqualTo("hello");
        }
    }

    @Test
    void aBodyThatRunsToTheCloseIsChunkedForTheClient() throws Exception {
        backend.answer(Answer.thenClose("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"),
                Answer.of(ok("next")));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readHeadOnly()).containsIgnoringCase("transfer-encoding: chunked");
            assertThat(client.readChunkedBody()).isEqualTo("until the end");
            assertThat(client.send(GET).readResponse()).endsWith("next");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
    }

    @Test
    void emptyListElementsAndChunkExtensionsWithWhitespaceAreValid() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: , chunked,\r\n\r\n"
                + "5 ;a=b\r\nhello\r\n0\r\n\r\n"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readHeadOnly()).startsWith("HTTP/1.1 200 ");
            assertThat(client.readChunkedBody()).isEqualTo("hello");
        }
    }

    @Test
    void chunkedOverridesContentLengthAndTheBackendConnectionIsNotReused() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n"), Answer.of(ok("next")));
        try (RawHttp client = new RawHttp(proxy.port())) {
            String head = client.send(GET).readHeadOnly();
            assertThat(head).doesNotContainIgnoringCase("content-length");
            assertThat(client.readChunkedBody()).isEqualTo("hello");
            assertThat(client.send(GET).readResponse()).endsWith("next");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
    }

    @Test
    void repeatedEqualContentLengthsReachTheClientOnce() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            String response = client.send(GET).readResponse();
            assertThat(response.toLowerCase().split("content-length", -1)).hasSize(2);
            assertThat(response).containsIgnoringCase("content-length: 2\r\n").endsWith("ok");
        }
    }

    @Test
    void anInterimAndAFinalHeadInOneReadEachKeepTheirOwnLines() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nok"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readHeadOnly(false)).startsWith("HTTP/1.1 103 Early Hints\r\n")
                    .contains("\r\nLink: </a.css>; rel=preload\r\n").doesNotContain("X-Final");
            assertThat(client.readResponse()).startsWith("HTTP/1.1 200 OK\r\n").contains("\r\nX-Final: yes\r\n")
                    .doesNotContain("Link").endsWith("ok");
        }
    }

    @Test
    void aHeadArrivingByteByByteIsReadWhole() throws Exception {
        backend.answer(Answer.of(ok("piecemeal")).inPiecesOf(1));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readResponse()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("piecemeal");
        }
    }

    @Test
    void bodilessAnswersKeepTheirLengthAndTheConnectionInStep() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"),
                Answer.of("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"),
                Answer.of("HTTP/1.1 204 No Content\r\n\r\n"), Answer.of(ok("last")));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n").readHeadOnly())
                    .containsIgnoringCase("content-length: 100\r\n");
            assertThat(client.send(GET).readHeadOnly()).startsWith("HTTP/1.1 304 ")
                    .doesNotContainIgnoringCase("transfer-encoding");
            assertThat(client.send(GET).readHeadOnly()).startsWith("HTTP/1.1 204 ")
                    .doesNotContainIgnoringCase("transfer-encoding");
            assertThat(client.send(GET).readResponse()).endsWith("last");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 200 OK\r\nX-Split: a\rb\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Space : a\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Nul: a\u0000b\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 O\u0001K\r\nContent-Length: 0\r\n\r\n",
        "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
        "<html>not http</html>\r\n\r\n",
        "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 600 High\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzipped",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    })
    void aResponseTheClientCouldReadDifferentlyIs502(String response) throws Exception {
        backend.answer(Answer.thenClose(response));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readResponse()).startsWith("HTTP/1.1 502 ");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"zz\r\n", "0x5\r\nhello\r\n0\r\n\r\n", "5junk\r\nhello\r\n0\r\n\r\n", "2\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n0\r\nX-Bad: a\u0001\r\n\r\n"})
    void badChunkFramingAfterTheHeadCutsTheResponseShort(String body) throws Exception {
        backend.answer(Answer.thenClose("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readHeadOnly()).startsWith("HTTP/1.1 200 ");
            assertThat(new String(client.readAll())).as("no last chunk: the client can tell").doesNotEndWith("0\r\n\r\n");
        }
    }

    @Test
    void anHttp10ClientThatKeepsItsConnectionIsToldSoWithAnError() throws Exception {
        backend.answer(Answer.thenClose("not a response\r\n\r\n"), Answer.of(ok("next")));
        String get = "GET /x HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n";
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(get).readResponse()).startsWith("HTTP/1.1 502 ")
                    .containsIgnoringCase("\r\nconnection: keep-alive\r\n");
            assertThat(client.send(get).readResponse()).containsIgnoringCase("\r\nconnection: keep-alive\r\n")
                    .endsWith("next");
        }
    }

    @Test
    void aHeadOverTheLimitIs502() throws Exception {
        backend.answer(Answer.thenClose("HTTP/1.1 200 OK\r\nX-Big: " + "x".repeat(40_000) + "\r\nContent-Length: 0\r\n\r\n"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).status()).isEqualTo(502);
        }
    }

    private static String ok(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    /**
     * Bytes past the end of a response that do not yet make a whole head stay in the decoder while the connection
     * idles in the pool, and are read as the start of the next request's response: the backend's stray bytes
     * choose the next response's status and fields.
     */
    @Test
    void bytesLeftAfterAResponseAreNotPrefixedToTheNextOne() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                        + "HTTP/1.1 200 OK\r\nSet-Cookie: injected=1\r\nX-Pad: "),
                Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readResponse()).endsWith("ok");
            String second = client.send(GET).readResponse();
            assertThat(second).doesNotContain("injected").endsWith("second");
        }
    }

    /**
     * The same with a pipelined client: its next request is dispatched, on the very connection, while the first
     * response's end is delivered, before the decoder reads the bytes that follow it. A whole extra response from the
     * backend then answers the next request.
     */
    @Test
    void aStrayResponseAfterTheEndIsNotTheAnswerToAPipelinedRequest() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                        + "HTTP/1.1 200 OK\r\nSet-Cookie: injected=1\r\nContent-Length: 4\r\n\r\nevil"),
                Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            client.send(GET + GET);
            assertThat(client.readResponse()).endsWith("ok");
            assertThat(client.readResponse()).doesNotContain("injected").doesNotEndWith("evil");
        }
    }

    /** A backend that answers HEAD with a body (a common bug): the body stays behind and breaks the next request. */
    @Test
    void aBodySentWithAHeadAnswerDoesNotFailTheNextRequest() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
                Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n").readHeadOnly()).startsWith("HTTP/1.1 200 ");
            assertThat(client.send(GET).readResponse()).startsWith("HTTP/1.1 200 ").endsWith("next");
        }
    }

    /** A bare CR starting a field line is not the head's end: read so, the lines after it would be lost. */
    @Test
    void aBareCrAtTheStartOfALineIs502() throws Exception {
        backend.answer(Answer.thenClose("HTTP/1.1 200 OK\r\nX-A: 1\r\n\rSet-Cookie: s=1\r\nContent-Length: 2\r\n\r\nok"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readHeadOnly()).startsWith("HTTP/1.1 502 ");
        }
    }

    /**
     * RFC 9110 8.6: no Content-Length in a 1xx or 204, as nginx: a client that believes one waits for, or eats, bytes
     * that are the next response's.
     */
    @Test
    void a204ReachesTheClientWithoutContentLength() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 103 Early Hints\r\nContent-Length: 3\r\nLink: </a>\r\n\r\n"
                + "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readHeadOnly(false)).startsWith("HTTP/1.1 103 ")
                    .doesNotContainIgnoringCase("content-length");
            assertThat(client.readHeadOnly()).startsWith("HTTP/1.1 204 ").doesNotContainIgnoringCase("content-length");
        }
    }

    /** nginx answers 502 too: the client would get the body still coded, with nothing to say how. */
    @Test
    void aTransferCodingOtherThanChunkedIsRefusedNotLostOnTheWay() throws Exception {
        backend.answer(Answer.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            assertThat(client.send(GET).readHeadOnly()).startsWith("HTTP/1.1 502 ");
        }
    }

    /** RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing: close after it. */
    @Test
    void anHttp10ResponseWithTransferEncodingDoesNotKeepTheConnection() throws Exception {
        backend.answer(Answer.of("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nok\r\n0\r\n\r\n"), Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"));
        try (RawHttp client = new RawHttp(proxy.port())) {
            client.send(GET).readHeadOnly();
            assertThat(client.readChunkedBody()).isEqualTo("ok");
            assertThat(client.send(GET).readResponse()).endsWith("next");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
    }
}
