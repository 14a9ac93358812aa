package dev.usher.proxy.http;

import dev.usher.proxy.protocols.request.RequestField;
import dev.usher.proxy.protocols.request.RequestHead;
import dev.usher.proxy.protocols.request.UpstreamHead;
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
    private static final String JOINT = ", ";

    private ProxyHeaders() {}

    /**
     * The head as it goes upstream: Connection, the fields it names (never Host, Content-Length or
     * Transfer-Encoding), Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding and Upgrade are dropped;
     * X-Forwarded-For gets the client's address after the client's own lines, X-Forwarded-Proto and -Host are the
     * proxy's, Via gets the proxy appended, X-Request-Id is kept or made.
     *
     * @param expectAnswered whether the proxy answers Expect itself: the backend must not see it then
     */
    static UpstreamHead prepare(RequestHead head, String clientIp, boolean expectAnswered) {
        UpstreamHead.Builder out = UpstreamHead.from(head);
        boolean hostSet = head.hostOverride() != null;
        int forwardedFor = 0;
        int via = 0;
        int firstRequestId = -1;
        for (int i = 0; i < head.fieldCount(); i++) {
            RequestField kind = head.kind(i);
            if (kind.hopByHop() || head.namedByConnection(i)
                    || kind == RequestField.X_FORWARDED_PROTO || kind == RequestField.X_FORWARDED_HOST
                    || (kind == RequestField.HOST && hostSet) || (kind == RequestField.EXPECT && expectAnswered)) {
                out.drop(i);
            } else if (kind == RequestField.X_FORWARDED_FOR) {
                forwardedFor++;
                out.drop(i);
            } else if (kind == RequestField.VIA) {
                via++;
                out.drop(i);
            } else if (kind == RequestField.X_REQUEST_ID && firstRequestId < 0) {
                firstRequestId = i;
            }
        }
        if (hostSet) {
            out.name(RequestField.HOST).value(head.hostOverride()).end();
        }
        if (head.upgrade()) {
            out.name(RequestField.CONNECTION).value(HttpHeaderValues.UPGRADE).end();
            out.name(RequestField.UPGRADE).value(head.value(RequestField.UPGRADE)).end();
        }
        if (head.chunked()) {
            out.name(RequestField.TRANSFER_ENCODING).value(HttpHeaderValues.CHUNKED).end();
        }
        out.name(RequestField.X_FORWARDED_FOR);
        joined(out, head, RequestField.X_FORWARDED_FOR, forwardedFor);
        out.value(clientIp).end();
        out.name(RequestField.X_FORWARDED_PROTO).value(HTTP).end();
        if (hostSet) {
            out.name(RequestField.X_FORWARDED_HOST).value(head.hostOverride()).end();
        } else if (head.hostField() >= 0) {
            out.name(RequestField.X_FORWARDED_HOST).valueOf(head.hostField()).end();
        }
        out.name(RequestField.VIA);
        joined(out, head, RequestField.VIA, via);
        out.value(VIA).end();
        return requestId(out, head, firstRequestId).build();
    }

    /**
     * Every line of this kind the client sent, in order, each followed by a comma (RFC 9110 5.3: repeated lines are
     * one comma-separated list), for the proxy's value to follow. Empty lines add nothing.
     */
    private static void joined(UpstreamHead.Builder out, RequestHead head, RequestField kind, int lines) {
        for (int i = 0; lines > 0 && i < head.fieldCount(); i++) {
            if (head.kind(i) == kind && !head.namedByConnection(i)) {
                lines--;
                if (head.valueLength(i) > 0) {
                    out.valueOf(i).value(JOINT);
                }
            }
        }
    }

    /**
     * The client's first X-Request-Id when it has a value (its lines go as they came), else a new one: 128 random
     * bits in hex, unique enough to correlate logs, without SecureRandom's cost per request.
     */
    private static UpstreamHead.Builder requestId(UpstreamHead.Builder out, RequestHead head, int first) {
        if (first >= 0 && head.valueLength(first) > 0) {
            return out.requestId(first);
        }
        for (int i = first; i >= 0 && i < head.fieldCount(); i++) {
            if (head.kind(i) == RequestField.X_REQUEST_ID) {
                out.drop(i);
            }
        }
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return out.name(RequestField.X_REQUEST_ID).hex(r.nextLong()).hex(r.nextLong()).endRequestId();
    }
}
