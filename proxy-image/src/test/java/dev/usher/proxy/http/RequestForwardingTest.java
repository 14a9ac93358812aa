package dev.usher.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.testing.ProxyFixture;
import dev.usher.proxy.testing.RawHttp;
import dev.usher.proxy.testing.RecordingBackend;
import dev.usher.proxy.testing.RecordingBackend.Protocol;
import dev.usher.proxy.testing.RecordingBackend.Seen;
import dev.usher.proxy.testing.ScriptedBackend;
import dev.usher.proxy.testing.ScriptedBackend.Answer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A client's request goes to an HTTP backend as the lines the client sent (names' case, order, repeats, the bytes
 * of each value), less those that belong to the client's connection, plus the proxy's forwarding lines and its own
 * framing. Bodies stream through in either framing, also behind one another on a pipelined connection.
 */
class RequestForwardingTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @Test
    void theBackendGetsTheClientsLinesAsTheyCameLessHopByHopOnes() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend();
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "")) {
            backend.answer(Answer.of(OK));
            try (RawHttp client = new RawHttp(proxy.port())) {
                assertThat(client.send("""
                        GET /path?q=1 HTTP/1.1\r
                        Host: shop.example\r
                        X-Custom: One  Two\r
                        accept: */*\r
                        Connection: keep-alive, X-Hop\r
                        X-Hop: secret\r
                        X-CUSTOM:two\r
                        Keep-Alive: timeout=5\r
                        Proxy-Connection: keep-alive\r
                        TE: trailers\r
                        Trailer: X-T\r
                        Upgrade: h2c\r
                        X-Forwarded-For: 203.0.113.7\r
                        x-forwarded-for: 198.51.100.1\r
                        Via: 1.0 edge\r
                        X-Forwarded-Proto: https\r
                        X-Forwarded-Host: elsewhere\r
                        X-Request-Id: abc-123\r
                        \r
                        """).readResponse()).startsWith("HTTP/1.1 200");
            }
            assertThat(backend.requestHeads()).containsExactly("""
                    GET /path?q=1 HTTP/1.1\r
                    Host: shop.example\r
                    X-Custom: One  Two\r
                    accept: */*\r
                    X-CUSTOM:two\r
                    X-Request-Id: abc-123\r
                    x-forwarded-for: 203.0.113.7, 198.51.100.1, 127.0.0.1\r
                    x-forwarded-proto: http\r
                    x-forwarded-host: shop.example\r
                    via: 1.0 edge, 1.1 usher\r
                    \r
                    """);
        }
    }

    /** Every Connection line counts, its tokens in any case and spacing; a line it names adds nothing to the proxy's. */
    @Test
    void everyFieldAnyConnectionLineNamesIsDropped() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend();
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "")) {
            backend.answer(Answer.of(OK));
            try (RawHttp client = new RawHttp(proxy.port())) {
                assertThat(client.send("""
                        GET / HTTP/1.1\r
                        x-one: 1\r
                        Connection: X-One ,x-TWO\r
                        Host: a\r
                        X-Two: 2\r
                        X-Three: 3\r
                        X-Forwarded-For: 203.0.113.7\r
                        Close: c\r
                        connection: close, x-forwarded-for\r
                        \r
                        """).readResponse()).startsWith("HTTP/1.1 200");
            }
            assertThat(backend.requestHeads()).singleElement().asString().matches("""
                    GET / HTTP/1.1\r
                    Host: a\r
                    X-Three: 3\r
                    x-forwarded-for: 127.0.0.1\r
                    x-forwarded-proto: http\r
                    x-forwarded-host: a\r
                    via: 1.1 usher\r
                    x-request-id: [0-9a-f]{32}\r
                    \r
                    """);
        }
    }

    /** Past the 64th line as before it: each is kept or dropped on its own. */
    @ParameterizedTest
    @ValueSource(ints = {10, 100})
    void aHeadOfManyLinesKeepsEachOneItShould(int firstDropped) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 140; i++) {
            lines.append(i == firstDropped ? "Keep-Alive: timeout=5" : i == firstDropped + 30 ? "Connection: X-Hop"
                    : i == firstDropped + 35 ? "X-Hop: gone" : "X-Line-" + i + ": " + i).append("\r\n");
        }
        try (ScriptedBackend backend = new ScriptedBackend();
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "")) {
            backend.answer(Answer.of(OK));
            try (RawHttp client = new RawHttp(proxy.port())) {
                assertThat(client.send("GET / HTTP/1.1\r\nHost: a\r\n" + lines + "X-Request-Id: r\r\n\r\n").readResponse())
                        .startsWith("HTTP/1.1 200");
            }
            String kept = lines.toString().replace("Keep-Alive: timeout=5\r\n", "").replace("Connection: X-Hop\r\n", "")
                    .replace("X-Hop: gone\r\n", "");
            assertThat(backend.requestHeads()).containsExactly("GET / HTTP/1.1\r\nHost: a\r\n" + kept
                    + "X-Request-Id: r\r\nx-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: a\r\n"
                    + "via: 1.1 usher\r\n\r\n");
        }
    }

    /**
     * A Connection line may name hundreds of fields within the header limit, under names a hash set would put in one
     * bin (AsciiString's hash code sees 1 and q alike): exactly the named lines are dropped, whatever their case.
     */
    @Test
    void aConnectionLineNamingHundredsOfFieldsDropsExactlyThose() throws Exception {
        int tokens = 500;
        StringBuilder connection = new StringBuilder("Connection: keep-alive");
        for (int i = 0; i < tokens; i++) {
            connection.append(", ").append(oneQ(i).toUpperCase());
        }
        StringBuilder sent = new StringBuilder();
        StringBuilder kept = new StringBuilder();
        for (int i = tokens / 2; i < tokens + tokens / 2; i++) {
            String line = oneQ(i) + ": " + i + "\r\n";
            sent.append(line);
            if (i >= tokens) {
                kept.append(line);
            }
        }
        try (ScriptedBackend backend = new ScriptedBackend();
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "")) {
            backend.answer(Answer.of(OK));
            try (RawHttp client = new RawHttp(proxy.port())) {
                assertThat(client.send("GET / HTTP/1.1\r\nHost: a\r\n" + sent + connection + "\r\nX-Request-Id: r\r\n\r\n")
                        .readResponse()).startsWith("HTTP/1.1 200");
            }
            assertThat(backend.requestHeads()).containsExactly("GET / HTTP/1.1\r\nHost: a\r\n" + kept
                    + "X-Request-Id: r\r\nx-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: a\r\n"
                    + "via: 1.1 usher\r\n\r\n");
        }
    }

    /** Name {@code i} as ten characters of 1 and q, its bits. */
    private static String oneQ(int i) {
        StringBuilder name = new StringBuilder(10);
        for (int bit = 9; bit >= 0; bit--) {
            name.append((i >>> bit & 1) == 0 ? '1' : 'q');
        }
        return name.toString();
    }

    /** RFC 9112 3.2.2: the target's authority is the Host; HTTP/1.0 goes up as HTTP/1.1, with a request id made. */
    @Test
    void anAbsoluteFormTargetGoesUpInOriginFormWithItsAuthorityAsHost() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend();
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "")) {
            backend.answer(Answer.of(OK));
            try (RawHttp client = new RawHttp(proxy.port())) {
                assertThat(client.send("GET http://good.example?x=1 HTTP/1.0\r\nUser-Agent: t\r\nHost: evil.example\r\n"
                        + "X-Request-Id:\r\n\r\n").readResponse()).startsWith("HTTP/1.1 200");
            }
            assertThat(backend.requestHeads()).singleElement().asString().matches("""
                    GET /\\?x=1 HTTP/1.1\r
                    User-Agent: t\r
                    host: good.example\r
                    x-forwarded-for: 127.0.0.1\r
                    x-forwarded-proto: http\r
                    x-forwarded-host: good.example\r
                    via: 1.1 usher\r
                    x-request-id: [0-9a-f]{32}\r
                    \r
                    """);
        }
    }

    @Test
    void aChunkedBodyGoesUpInChunksWithoutExtensionsOrTrailers() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ProxyFixture proxy = new ProxyFixture(List.of("127.0.0.1:" + backend.getLocalPort()), "")) {
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> readChunkedRequest(backend));
            try (RawHttp client = new RawHttp(proxy.port())) {
                client.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n");
                client.send("6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
                assertThat(client.readResponse()).startsWith("HTTP/1.1 200");
            }
            String request = received.get(10, TimeUnit.SECONDS);
            String head = request.substring(0, request.indexOf("\r\n\r\n") + 4);
            assertThat(head).startsWith("POST /up HTTP/1.1\r\nHost: a\r\n").contains("\r\ntransfer-encoding: chunked\r\n");
            String body = request.substring(head.length());
            assertThat(body).doesNotContain("name=value").doesNotContain("X-Trailer").endsWith("\r\n0\r\n\r\n");
            assertThat(dechunk(body)).isEqualTo("hello world");
        }
    }

    @Test
    void aContentLengthBodyGoesUpAsItCame() throws Exception {
        try (RecordingBackend backend = new RecordingBackend(Protocol.HTTP);
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "")) {
            try (RawHttp client = new RawHttp(proxy.port())) {
                client.send("PUT /doc HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello");
                client.send(" world");
                assertThat(client.readResponse()).startsWith("HTTP/1.1 200").endsWith("seen #1 PUT /doc\n");
            }
            Seen seen = backend.seen().get(0);
            assertThat(new String(seen.body(), StandardCharsets.US_ASCII)).isEqualTo("hello world");
            assertThat(seen.header("Content-Length")).containsExactly("11");
            assertThat(seen.header("Transfer-Encoding")).isEmpty();
        }
    }

    @Test
    void pipelinedRequestsWithBodiesEachGetTheirOwn() throws Exception {
        try (RecordingBackend backend = new RecordingBackend(Protocol.HTTP);
             ProxyFixture proxy = new ProxyFixture(List.of(backend.hostPort()), "")) {
            try (RawHttp client = new RawHttp(proxy.port())) {
                client.send("POST /one HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                        + "POST /two HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                        + "\r\nGET /three HTTP/1.1\r\nHost: a\r\n\r\n"
                        + "POST /four HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nlast");
                assertThat(client.readResponse()).endsWith("seen #1 POST /one\n");
                assertThat(client.readResponse()).endsWith("seen #2 POST /two\n");
                assertThat(client.readResponse()).endsWith("seen #3 GET /three\n");
                assertThat(client.readResponse()).endsWith("seen #4 POST /four\n");
            }
            assertThat(backend.seen()).extracting(s -> new String(s.body(), StandardCharsets.US_ASCII))
                    .containsExactly("hello", "abcde", "", "last");
        }
    }

    /** Reads one request whose body is chunked, through its last chunk, and answers it. */
    private static String readChunkedRequest(ServerSocket server) {
        try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            s.setSoTimeout(10_000);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            while (!bytes.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n0\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                bytes.write(b);
            }
            out.write(OK.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return bytes.toString(StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The data of a chunked body that has no extensions and no trailers. */
    private static String dechunk(String body) {
        StringBuilder data = new StringBuilder();
        int i = 0;
        while (true) {
            int lineEnd = body.indexOf("\r\n", i);
            int size = Integer.parseInt(body.substring(i, lineEnd), 16);
            if (size == 0) {
                return data.toString();
            }
            data.append(body, lineEnd + 2, lineEnd + 2 + size);
            assertThat(body.substring(lineEnd + 2 + size, lineEnd + 4 + size)).isEqualTo("\r\n");
            i = lineEnd + 4 + size;
        }
    }
}
