package dev.usher.proxy.http.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.protocols.request.RequestField;
import dev.usher.proxy.protocols.request.RequestHead;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The decoder finds each head's parts in the one scan however the bytes are cut into reads, and frames bodies
 * itself: a request's pieces never include the next request's bytes.
 */
class RequestDecoderTest {
    private final EmbeddedChannel channel = new EmbeddedChannel(new RequestDecoder(8192, 16384, Duration.ofMinutes(1)));

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    @Test
    void headsAndBodiesComeOutTheSameWhateverTheReads() {
        String requests = "\r\nPOST /a?b=1 HTTP/1.1\r\nHost: x.example\r\nX-Empty:\r\nX-Spaced: \t v  w \r\n"
                + "Content-Length: 5\r\n\r\nhello"
                + "PUT /c HTTP/1.1\nHost: y\nTransfer-Encoding: chunked\n\n3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nT: t\r\n\r\n"
                + "GET / HTTP/1.1\r\nHost: z\r\n\r\n";
        for (int piece : new int[] {requests.length(), 1, 2, 7}) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < requests.length(); i += piece) {
                channel.writeInbound(Unpooled.copiedBuffer(requests.substring(i, Math.min(requests.length(), i + piece)),
                        StandardCharsets.ISO_8859_1));
                for (Object m; (m = channel.readInbound()) != null; ) {
                    out.add(m);
                }
            }
            assertThat(describe(out)).as("in pieces of %d", piece).containsExactly(
                    "POST /a?b=1 HTTP/1.1 [Host=x.example, X-Empty=, X-Spaced=v  w, Content-Length=5]", "hello", "END",
                    "PUT /c HTTP/1.1 [Host=y, Transfer-Encoding=chunked]", "abcde", "END",
                    "GET / HTTP/1.1 [Host=z]", "END");
        }
    }

    @Test
    void framingInDoubtIsRefusedAndNothingIsReadAfter() {
        for (String head : List.of("Content-Length: 5\r\nTransfer-Encoding: chunked", "Content-Length: 5\r\nContent-Length: 5",
                "Content-Length: +5", "Content-Length: 5, 5")) {
            EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(8192, 16384, Duration.ofMinutes(1)));
            ch.writeInbound(Unpooled.copiedBuffer("POST /a HTTP/1.1\r\nHost: a\r\n" + head + "\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n",
                    StandardCharsets.ISO_8859_1));
            assertThat((Object) ch.readInbound()).as(head).isInstanceOf(BadRequest.class)
                    .extracting(b -> ((BadRequest) b).status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
            assertThat((Object) ch.readInbound()).as(head).isNull();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void overLongLinesAndHeadersAreRefusedWithTheirStatus() {
        EmbeddedChannel line = new EmbeddedChannel(new RequestDecoder(64, 128, Duration.ofMinutes(1)));
        line.writeInbound(Unpooled.copiedBuffer("GET /" + "a".repeat(60) + " HTTP/1.1\r\n", StandardCharsets.US_ASCII));
        assertThat(((BadRequest) line.readInbound()).status()).isEqualTo(HttpResponseStatus.REQUEST_URI_TOO_LONG);
        line.finishAndReleaseAll();

        EmbeddedChannel fields = new EmbeddedChannel(new RequestDecoder(64, 128, Duration.ofMinutes(1)));
        fields.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\nX-A: " + "b".repeat(120) + "\r\n\r\n",
                StandardCharsets.US_ASCII));
        assertThat(((BadRequest) fields.readInbound()).status()).isEqualTo(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
        fields.finishAndReleaseAll();
    }

    @Test
    void aHeadKnowsWhatTheProxyActsOn() {
        channel.writeInbound(Unpooled.copiedBuffer("OPTIONS * HTTP/1.1\r\nHOST: a\r\nconnection: Upgrade, X-A\r\n"
                + "Upgrade: websocket\r\nExpect: 100-Continue\r\nX-A: 1\r\nX-B: 2\r\n\r\n", StandardCharsets.US_ASCII));
        RequestHead head = channel.readInbound();
        assertThat(head.method()).isSameAs(HttpMethod.OPTIONS);
        assertThat(head.hostCount()).isEqualTo(1);
        assertThat(head.upgrade()).isTrue();
        assertThat(head.expectsContinue()).isTrue();
        assertThat(head.keepAlive()).isTrue();
        assertThat(head.kind(1)).isEqualTo(RequestField.CONNECTION);
        assertThat(head.namedByConnection(4)).as("X-A").isTrue();
        assertThat(head.namedByConnection(5)).as("X-B").isFalse();
        assertThat(head.hasBody()).isFalse();
    }

    private static List<String> describe(List<Object> messages) {
        List<String> out = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (Object m : messages) {
            if (m instanceof RequestHead h) {
                List<String> fields = new ArrayList<>();
                for (int i = 0; i < h.fieldCount(); i++) {
                    fields.add(h.name(i) + "=" + h.value(i));
                }
                out.add(h.method() + " " + h.target() + " " + h.versionText() + " " + fields);
            } else if (m instanceof HttpContent c) {
                body.append(c.content().toString(StandardCharsets.ISO_8859_1));
                c.release();
                if (c instanceof LastHttpContent) {
                    if (body.length() > 0) {
                        out.add(body.toString());
                    }
                    body.setLength(0);
                    out.add("END");
                }
            } else {
                out.add(String.valueOf(m));
            }
        }
        return out;
    }
}
