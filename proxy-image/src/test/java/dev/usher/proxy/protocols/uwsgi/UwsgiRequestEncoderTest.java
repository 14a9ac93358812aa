package dev.usher.proxy.protocols.uwsgi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.config.UwsgiSettings;
import dev.usher.proxy.protocols.ClientInfo;
import dev.usher.proxy.protocols.HttpBackend;
import dev.usher.proxy.protocols.request.UpstreamHead;
import dev.usher.proxy.testing.RequestHeads;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The uwsgi packet as uWSGI parses it: header, little-endian sizes, vars, then the raw body. */
class UwsgiRequestEncoderTest {
    private static final UwsgiSettings SETTINGS = new UwsgiSettings(5, 4096, Map.of("SCRIPT_NAME", "/app"));
    private static final ClientInfo CLIENT = new ClientInfo(
            new InetSocketAddress("127.0.0.9", 40000), new InetSocketAddress("127.0.0.1", 8080), "http");

    private final EmbeddedChannel channel = new EmbeddedChannel(
            new UwsgiRequestEncoder(SETTINGS, HttpBackend.responseDecoder(8192)));

    /** The vars block as the proxy writes it: prepared once by the backend protocol. */
    private static Object head(UpstreamHead request) {
        return new UwsgiBackend(SETTINGS, 16384, 10 << 20).prepare(request, CLIENT).message();
    }

    /** A request head as the proxy reads it, with nothing dropped or added. */
    private static UpstreamHead request(String raw) {
        return UpstreamHead.from(RequestHeads.parse(raw), CLIENT.remoteIp(), (head, out) -> { }).build();
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    @Test
    void encodesHeaderVarsAndBody() {
        UpstreamHead request = request("POST /caf%C3%A9/x?q=1&r=%20 HTTP/1.1\r\nHost: shop.example:8080\r\n"
                + "Content-Length: 5\r\nContent-Type: text/plain\r\nX-Multi: a\r\nX-Multi: b\r\nCookie: a=1\r\n"
                + "Cookie: b=2\r\n\r\n");
        channel.writeOutbound(head(request), new DefaultLastHttpContent(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII)));

        ByteBuf packet = nextNonEmpty();
        assertThat((int) packet.readUnsignedByte()).as("modifier1").isEqualTo(5);
        int size = packet.readUnsignedShortLE();
        assertThat((int) packet.readUnsignedByte()).as("modifier2").isZero();
        assertThat(packet.readableBytes()).isEqualTo(size);
        Map<String, String> vars = decode(packet);
        packet.release();

        assertThat(vars).containsEntry("REQUEST_METHOD", "POST")
                .containsEntry("REQUEST_URI", "/caf%C3%A9/x?q=1&r=%20")
                .containsEntry("PATH_INFO", new String("/café/x".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1))
                .containsEntry("QUERY_STRING", "q=1&r=%20")
                .containsEntry("CONTENT_LENGTH", "5")
                .containsEntry("CONTENT_TYPE", "text/plain")
                .containsEntry("SERVER_PROTOCOL", "HTTP/1.1")
                .containsEntry("REQUEST_SCHEME", "http")
                .containsEntry("REMOTE_ADDR", "127.0.0.9")
                .containsEntry("REMOTE_PORT", "40000")
                .containsEntry("SERVER_PORT", "8080")
                .containsEntry("SERVER_NAME", "shop.example")
                .containsEntry("SCRIPT_NAME", "/app")
                .containsEntry("HTTP_HOST", "shop.example:8080")
                .containsEntry("HTTP_X_MULTI", "a, b")
                .containsEntry("HTTP_COOKIE", "a=1; b=2")
                .containsEntry("HTTP_CONTENT_LENGTH", "5")
                .doesNotContainKeys("HTTPS");

        ByteBuf body = readBody();
        assertThat(body.toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        body.release();
    }

    @Test
    void chunkedBodyIsCollectedAndSentWithItsTotalLength() {
        UpstreamHead request = request("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        channel.writeOutbound(head(request));
        assertThat(nextNonEmpty()).as("nothing is sent before the length is known").isNull();
        channel.writeOutbound(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)));
        channel.writeOutbound(new DefaultLastHttpContent(Unpooled.copiedBuffer("defg", StandardCharsets.US_ASCII)));

        ByteBuf packet = nextNonEmpty();
        packet.skipBytes(4);
        Map<String, String> vars = decode(packet);
        packet.release();
        assertThat(vars).containsEntry("CONTENT_LENGTH", "7").doesNotContainKey("HTTP_TRANSFER_ENCODING");
        ByteBuf body = readBody();
        assertThat(body.toString(StandardCharsets.US_ASCII)).isEqualTo("abcdefg");
        body.release();
    }

    /**
     * Without buffering.request, a chunked body is collected by the encoder: one buffer however it is cut, so that a
     * body sent a byte per chunk does not become as many parts of heap (about 100 bytes each) as it has bytes.
     */
    @Test
    void aChunkedBodyInOneByteChunksIsCollectedIntoOneBuffer() {
        UpstreamHead request = request("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        channel.writeOutbound(head(request));
        String sent = "0123456789".repeat(1000);
        for (int i = 0; i < sent.length(); i++) {
            channel.writeOutbound(new DefaultHttpContent(Unpooled.copiedBuffer(sent.substring(i, i + 1), StandardCharsets.US_ASCII)));
        }
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);

        ByteBuf packet = nextNonEmpty();
        packet.skipBytes(4);
        assertThat(decode(packet)).containsEntry("CONTENT_LENGTH", "10000");
        packet.release();
        ByteBuf body = nextNonEmpty();
        assertThat(body.nioBufferCount()).as("parts the body is held in").isEqualTo(1);
        assertThat(body.toString(StandardCharsets.US_ASCII)).isEqualTo(sent);
        body.release();
        assertThat(nextNonEmpty()).isNull();
    }

    /** With buffering.request the proxy knows the length first: the vars go at once and each piece follows as sent. */
    @Test
    void aChunkedBodyReadWholeByTheProxyStreamsWithItsLength() {
        UpstreamHead request = request("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        Object head = new UwsgiBackend(SETTINGS, 16384, 10 << 20).withBodyLength(head(request), 7);
        channel.writeOutbound(head);
        ByteBuf packet = nextNonEmpty();
        packet.skipBytes(4);
        assertThat(decode(packet)).containsEntry("CONTENT_LENGTH", "7");
        packet.release();

        channel.writeOutbound(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)));
        ByteBuf first = nextNonEmpty();
        assertThat(first.toString(StandardCharsets.US_ASCII)).as("the first piece, before the last is written").isEqualTo("abc");
        first.release();
        channel.writeOutbound(new DefaultLastHttpContent(Unpooled.copiedBuffer("defg", StandardCharsets.US_ASCII)));
        ByteBuf rest = readBody();
        assertThat(rest.toString(StandardCharsets.US_ASCII)).isEqualTo("defg");
        rest.release();
    }

    @Test
    void bodilessRequestSendsAnEmptyContentLength() {
        UpstreamHead request = request("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        channel.writeOutbound(head(request), LastHttpContent.EMPTY_LAST_CONTENT);
        ByteBuf packet = nextNonEmpty();
        packet.skipBytes(4);
        assertThat(decode(packet)).containsEntry("CONTENT_LENGTH", "").containsEntry("PATH_INFO", "/").containsEntry("QUERY_STRING", "");
        packet.release();
    }

    /**
     * A head of many fields (a client may send thousands within limits.maxHeaderSize; here 150 within the test's vars buffer) is grouped by name rather than
     * compared in pairs: repeats far apart and in other cases are still joined, in order, into one var each.
     */
    @Test
    void repeatsAmongManyFieldsAreJoinedIntoOneVarEach() {
        StringBuilder raw = new StringBuilder("GET / HTTP/1.1\r\nHost: a\r\nX-Multi: first\r\nCookie: a=1\r\n");
        for (int i = 0; i < 150; i++) {
            raw.append("F").append(i).append(": v").append(i).append("\r\n");
            if (i == 75) {
                raw.append("x-MULTI: middle\r\nf7: again\r\n");
            }
        }
        raw.append("X-multi: last\r\nCOOKIE: b=2\r\n\r\n");
        channel.writeOutbound(head(request(raw.toString())), LastHttpContent.EMPTY_LAST_CONTENT);
        ByteBuf packet = nextNonEmpty();
        packet.skipBytes(4);
        Map<String, String> vars = decode(packet);
        packet.release();
        assertThat(vars).containsEntry("HTTP_X_MULTI", "first, middle, last")
                .containsEntry("HTTP_COOKIE", "a=1; b=2")
                .containsEntry("HTTP_F7", "v7, again")
                .containsEntry("HTTP_F149", "v149")
                .containsEntry("HTTP_HOST", "a");
        assertThat(vars.keySet().stream().filter(k -> k.startsWith("HTTP_"))).hasSize(150 + 3);
    }

    /** A field named with '_' would be read by the app as the '-' one it spells: it is not passed, as with nginx. */
    @Test
    void aFieldNamedWithAnUnderscoreCannotPassForTheOneWithADash() {
        UpstreamHead request = request("GET / HTTP/1.1\r\nHost: a\r\nX_Forwarded_For: 6.6.6.6\r\n"
                + "X-Forwarded-For: 10.0.0.1\r\nX_Custom: b\r\n\r\n");
        channel.writeOutbound(head(request), LastHttpContent.EMPTY_LAST_CONTENT);
        ByteBuf packet = nextNonEmpty();
        packet.skipBytes(4);
        assertThat(decode(packet)).containsEntry("HTTP_X_FORWARDED_FOR", "10.0.0.1").doesNotContainKey("HTTP_X_CUSTOM")
                .containsEntry("HTTP_HOST", "a");
        packet.release();
    }

    /** SERVER_NAME is the Host without its port (an IPv6 literal keeps its brackets), or the address connected to. */
    @Test
    void serverNameAndPathComeFromTheHostAndTheUri() {
        UpstreamHead v6 = request("GET /a/b.c?x=1&y HTTP/1.1\r\nHost: [::1]:8080\r\nContent-Type:\r\ncontent-type: text/plain\r\n\r\n");
        channel.writeOutbound(head(v6), LastHttpContent.EMPTY_LAST_CONTENT);
        ByteBuf packet = nextNonEmpty();
        packet.skipBytes(4);
        assertThat(decode(packet)).containsEntry("SERVER_NAME", "[::1]").containsEntry("PATH_INFO", "/a/b.c")
                .containsEntry("QUERY_STRING", "x=1&y").containsEntry("REQUEST_URI", "/a/b.c?x=1&y")
                .as("the first Content-Type, as HttpHeaders.get gives it").containsEntry("CONTENT_TYPE", "")
                .containsEntry("HTTP_CONTENT_TYPE", ", text/plain");
        packet.release();
        readBody().release();

        UpstreamHead noHost = request("GET /x//y/../z HTTP/1.0\r\n\r\n");
        channel.writeOutbound(head(noHost), LastHttpContent.EMPTY_LAST_CONTENT);
        packet = nextNonEmpty();
        packet.skipBytes(4);
        assertThat(decode(packet)).containsEntry("SERVER_NAME", "127.0.0.1").containsEntry("PATH_INFO", "/x/z")
                .containsEntry("SERVER_PROTOCOL", "HTTP/1.0").doesNotContainKey("HTTP_HOST");
        packet.release();
    }

    @Test
    void varsOverTheBufferSizeAreRefusedNamingTheSetting() {
        UwsgiBackend backend = new UwsgiBackend(new UwsgiSettings(0, 1024, Map.of()), 16384, 10 << 20);
        ClientInfo client = CLIENT;
        UpstreamHead small = request("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(backend.prepare(small, client).refusal()).isNull();

        UpstreamHead big = request("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "x".repeat(2000) + "\r\n\r\n");
        assertThat(backend.prepare(big, client).refusal()).contains("upstream.uwsgi.bufferSize").contains("--buffer-size");

        UpstreamHead huge = request("GET / HTTP/1.1\r\nHost: a\r\nX-A: " + "x".repeat(40000) + "\r\nX-B: "
                + "y".repeat(40000) + "\r\n\r\n");
        assertThat(new UwsgiBackend(new UwsgiSettings(0, 65535, Map.of()), 131072, 10 << 20).prepare(huge, client).refusal())
                .contains("65535");
    }

    /** Empty buffers stand in for pieces held back (an encoder must emit something per message). */
    private ByteBuf nextNonEmpty() {
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            if (b.isReadable()) {
                return b;
            }
            b.release();
        }
        return null;
    }

    @Test
    void pathInfoIsDecodedAndNormalisedAsNginxDoes() {
        assertThat(PathInfo.normalize(PathInfo.percentDecode("/a//b/./c/../d%2Fe"))).isEqualTo("/a/b/d/e");
        assertThat(PathInfo.normalize("/../../x")).isEqualTo("/x");
        assertThat(PathInfo.normalize("/a/b/")).isEqualTo("/a/b/");
        assertThat(PathInfo.normalize("/a/..")).isEqualTo("/");
        assertThat(PathInfo.percentDecode("/a+b%zz")).isEqualTo("/a+b%zz");
    }

    private ByteBuf readBody() {
        ByteBuf out = Unpooled.buffer();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            out.writeBytes(b);
            b.release();
        }
        return out;
    }

    private static Map<String, String> decode(ByteBuf vars) {
        Map<String, String> out = new LinkedHashMap<>();
        while (vars.isReadable()) {
            String key = vars.readCharSequence(vars.readUnsignedShortLE(), StandardCharsets.ISO_8859_1).toString();
            String value = vars.readCharSequence(vars.readUnsignedShortLE(), StandardCharsets.ISO_8859_1).toString();
            assertThat(out).as("each var once").doesNotContainKey(key);
            out.put(key, value);
        }
        return out;
    }
}
