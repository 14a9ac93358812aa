package dev.usher.proxy.http;

import dev.usher.proxy.http.validation.RequestCheck;
import dev.usher.proxy.http.validation.Tokens;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request header rewriting at the proxy boundary: hop-by-hop headers belong to one connection and are dropped (RFC
 * 9110 7.6.1); forwarding headers tell the backend who the client was; framing is re-decided for the next hop.
 * Responses have theirs in {@link ResponseHeadWriter}.
 */
final class ProxyHeaders {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString VIA = AsciiString.cached("1.1 usher");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static final AsciiString[] HOP_BY_HOP = {
        HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, PROXY_CONNECTION, HttpHeaderNames.TE,
        HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE,
    };

    private ProxyHeaders() {}

    /** A request asking to switch protocols (WebSocket and others): Connection names upgrade and Upgrade is set. */
    static boolean isUpgrade(HttpRequest request) {
        HttpHeaders h = request.headers();
        return h.contains(HttpHeaderNames.UPGRADE)
                && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /**
     * Turns the client's request head into the one sent upstream, in place. Returns the request id, which is
     * the client's own when it sent one.
     */
    static CharSequence prepareRequest(HttpRequest request, String clientIp, boolean chunked, boolean upgrade) {
        HttpHeaders h = request.headers();
        String upgradeTo = upgrade ? h.get(HttpHeaderNames.UPGRADE) : null;
        removeHopByHop(h);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (upgradeTo != null) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            h.set(HttpHeaderNames.UPGRADE, upgradeTo);
        }
        if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        h.set(X_FORWARDED_FOR, forwardedFor(h, clientIp));
        h.set(X_FORWARDED_PROTO, HTTP);
        String host = h.get(HttpHeaderNames.HOST);
        if (host != null) {
            h.set(X_FORWARDED_HOST, host);
        }
        appendVia(h);
        CharSequence id = h.get(X_REQUEST_ID);
        if (id == null || id.length() == 0) {
            id = newRequestId();
            h.set(X_REQUEST_ID, id);
        }
        return id;
    }

    private static void removeHopByHop(HttpHeaders h) {
        if (h.contains(HttpHeaderNames.CONNECTION)) {
            removeNamedByConnection(h);
        }
        for (AsciiString name : HOP_BY_HOP) {
            h.remove(name);
        }
    }

    private static void removeNamedByConnection(HttpHeaders h) {
        List<String> named = null;
        boolean close = false;
        for (Iterator<? extends CharSequence> it = h.valueCharSequenceIterator(HttpHeaderNames.CONNECTION); it.hasNext(); ) {
            Tokens t = new Tokens(it.next());
            while (t.next()) {
                if (t.is(HttpHeaderValues.CLOSE)) {
                    close = true; // a header named Close goes too, as any other named one
                } else if (!t.is(HttpHeaderValues.KEEP_ALIVE)) { // Keep-Alive is in HOP_BY_HOP: removed anyway
                    if (!RequestCheck.isEndToEndOnly(t)) {
                        if (named == null) {
                            named = new ArrayList<>(2);
                        }
                        named.add(t.text());
                    }
                }
            }
        }
        if (close) {
            h.remove(HttpHeaderValues.CLOSE);
        }
        if (named != null) {
            named.forEach(h::remove);
        }
    }

    /** Every X-Forwarded-For line in order (RFC 9110 5.3: repeated lines are one comma-separated list), then the client. */
    private static String forwardedFor(HttpHeaders h, String clientIp) {
        if (!h.contains(X_FORWARDED_FOR)) {
            return clientIp;
        }
        List<String> lines = h.getAll(X_FORWARDED_FOR);
        StringBuilder out = new StringBuilder(64);
        for (String line : lines) {
            if (!line.isBlank()) {
                out.append(line.trim()).append(", ");
            }
        }
        return out.append(clientIp).toString();
    }

    private static void appendVia(HttpHeaders h) {
        String via = h.get(HttpHeaderNames.VIA);
        h.set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
    }

    /** 128 random bits in hex: unique enough to correlate logs, without SecureRandom's cost per request. */
    private static AsciiString newRequestId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        byte[] out = new byte[32];
        long hi = r.nextLong();
        long lo = r.nextLong();
        for (int i = 0; i < 16; i++) {
            out[i] = HEX[(int) (hi >>> (60 - 4 * i)) & 0xf];
            out[16 + i] = HEX[(int) (lo >>> (60 - 4 * i)) & 0xf];
        }
        return new AsciiString(out, false);
    }
}
