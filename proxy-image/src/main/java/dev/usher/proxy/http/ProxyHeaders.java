package dev.usher.proxy.http;

import dev.usher.proxy.protocols.request.RequestField;
import dev.usher.proxy.protocols.request.RequestHead;
import dev.usher.proxy.protocols.request.UpstreamHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.util.AsciiString;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request header rewriting at the proxy boundary, as lines: the client's go upstream as they came, less those that
 * belong to its connection (RFC 9110 7.6.1) and those the proxy writes itself, then the proxy's: who the client
 * was (X-Forwarded-*, Via), the request id, the framing for the next hop. Responses have theirs in
 * {@link ResponseHeadWriter}.
 */
final class ProxyHeaders {
    private static final AsciiString VIA = AsciiString.cached("1.1 usher");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private ProxyHeaders() {}

    /** The proxy's lines, written each time a head is: nothing is kept of them per request. */
    private static final UpstreamHead.AddedLines LINES = ProxyHeaders::writeAdded;

    /**
     * The head as it goes upstream: Connection, the fields it names (never Host, Content-Length or
     * Transfer-Encoding), Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding and Upgrade are dropped;
     * X-Forwarded-For gets the client's address after the client's own lines, X-Forwarded-Proto and -Host are the
     * proxy's, Via gets the proxy appended, X-Request-Id is kept or made ({@link #writeAdded}).
     *
     * @param expectAnswered whether the proxy answers Expect itself: the backend must not see it then
     */
    static UpstreamHead prepare(RequestHead head, String clientIp, boolean expectAnswered) {
        UpstreamHead.Builder out = UpstreamHead.from(head, clientIp, LINES);
        boolean hostSet = head.hostOverride() != null;
        int firstRequestId = -1;
        for (int i = 0; i < head.fieldCount(); i++) {
            RequestField kind = head.kind(i);
            if (kind.hopByHop() || head.namedByConnection(i) || kind == RequestField.X_FORWARDED_FOR
                    || kind == RequestField.VIA || kind == RequestField.X_FORWARDED_PROTO
                    || kind == RequestField.X_FORWARDED_HOST || (kind == RequestField.HOST && hostSet)
                    || (kind == RequestField.EXPECT && expectAnswered)) {
                out.drop(i);
            } else if (kind == RequestField.X_REQUEST_ID && firstRequestId < 0) {
                firstRequestId = i;
            }
        }
        if (firstRequestId >= 0 && head.valueLength(firstRequestId) > 0) {
            return out.requestId(firstRequestId).build(); // its lines go as they came
        }
        for (int i = firstRequestId; i >= 0 && i < head.fieldCount(); i++) {
            if (head.kind(i) == RequestField.X_REQUEST_ID) {
                out.drop(i);
            }
        }
        // 128 random bits: unique enough to correlate logs, without SecureRandom's cost per request.
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return out.requestId(r.nextLong(), r.nextLong()).build();
    }

    /**
     * The proxy's lines, after the client's: Host when the proxy set it, Connection and Upgrade for an upgrade it
     * forwards, its framing, then who the client was and the request id.
     */
    private static void writeAdded(UpstreamHead up, ByteBuf out) {
        RequestHead head = up.request();
        if (head.hostOverride() != null) {
            line(out, RequestField.HOST, head.hostOverride());
        }
        if (head.upgrade()) {
            line(out, RequestField.CONNECTION, HttpHeaderValues.UPGRADE);
            line(out, RequestField.UPGRADE, head.value(RequestField.UPGRADE));
        }
        if (head.chunked()) {
            line(out, RequestField.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        UpstreamHead.writeName(out, RequestField.X_FORWARDED_FOR);
        joined(up, out, RequestField.X_FORWARDED_FOR);
        ByteBufUtil.writeAscii(out, up.clientIp());
        UpstreamHead.writeLineEnd(out);
        line(out, RequestField.X_FORWARDED_PROTO, HTTP);
        if (head.hostOverride() != null) {
            line(out, RequestField.X_FORWARDED_HOST, head.hostOverride());
        } else if (head.hostField() >= 0) {
            UpstreamHead.writeName(out, RequestField.X_FORWARDED_HOST);
            up.writeValueOf(out, head.hostField());
            UpstreamHead.writeLineEnd(out);
        }
        UpstreamHead.writeName(out, RequestField.VIA);
        joined(up, out, RequestField.VIA);
        ByteBufUtil.writeAscii(out, VIA);
        UpstreamHead.writeLineEnd(out);
        if (up.requestIdMade()) {
            UpstreamHead.writeName(out, RequestField.X_REQUEST_ID);
            up.writeRequestId(out);
            UpstreamHead.writeLineEnd(out);
        }
    }

    private static void line(ByteBuf out, RequestField kind, CharSequence value) {
        UpstreamHead.writeName(out, kind);
        ByteBufUtil.writeAscii(out, value);
        UpstreamHead.writeLineEnd(out);
    }

    /**
     * Every line of this kind the client sent, in order, each followed by a comma (RFC 9110 5.3: repeated lines are
     * one comma-separated list), for the proxy's value to follow. Empty lines, and lines Connection names, add nothing.
     */
    private static void joined(UpstreamHead up, ByteBuf out, RequestField kind) {
        RequestHead head = up.request();
        for (int i = 0; i < head.fieldCount(); i++) {
            if (head.kind(i) == kind && head.valueLength(i) > 0 && !head.namedByConnection(i)) {
                up.writeValueOf(out, i);
                out.writeShort((',' << 8) | ' ');
            }
        }
    }
}
