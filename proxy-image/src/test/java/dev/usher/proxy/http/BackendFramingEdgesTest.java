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

/**
 * A backend out of step or at the edge of the framing rules: bytes after a response's end never answer another
 * request, and what a client could frame differently is refused (found by reviewing the byte-forwarding path).
 */
class BackendFramingEdgesTest {
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
