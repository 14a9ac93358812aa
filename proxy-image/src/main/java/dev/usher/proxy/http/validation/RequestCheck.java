package dev.usher.proxy.http.validation;

import dev.usher.proxy.protocols.request.RequestField;
import dev.usher.proxy.protocols.request.RequestHead;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;

/**
 * The rules on a request head that a proxy must enforce itself, because the app server behind it may not
 * (docs/security.md lists each with its RFC section). {@link #check} refuses a request or puts it in the one shape
 * the rest of the proxy handles: an origin-form target and exactly one valid Host. It reads the head's bytes in
 * place: only an absolute-form target's authority becomes a string.
 */
public final class RequestCheck {
    private static final BadRequest CONNECT = new BadRequest(HttpResponseStatus.METHOD_NOT_ALLOWED,
            "CONNECT: this is a reverse proxy, not a forward proxy");

    private RequestCheck() {}

    /** Null when the request may be forwarded (its target and Host possibly rewritten), else why not. */
    public static BadRequest check(RequestHead request, InetSocketAddress local) {
        if (request.hostCount() > 1) {
            return bad("more than one Host header");
        }
        BadRequest target = checkTarget(request);
        if (target != null) {
            return target;
        }
        CharSequence host = request.host();
        boolean http11 = request.version() == HttpVersion.HTTP_1_1;
        if (host == null || (!http11 && host.length() == 0)) {
            if (http11) {
                return bad("HTTP/1.1 request without Host");
            }
            // HTTP/1.0 may leave Host out; the backend gets the address the client reached, as HTTP/1.1 needs one.
            request.setHost(local.getAddress().getHostAddress() + ":" + local.getPort());
        } else if (!Authority.isValid(host)) {
            return bad("invalid Host header");
        }
        BadRequest connection = checkConnection(request);
        if (connection != null) {
            return connection;
        }
        return checkTransferEncoding(request);
    }

    private static BadRequest checkTarget(RequestHead request) {
        AsciiString uri = request.targetView();
        HttpMethod method = request.method();
        if (method.equals(HttpMethod.CONNECT)) {
            return CONNECT;
        }
        if (uri.length() == 1 && uri.charAt(0) == '*') {
            return method.equals(HttpMethod.OPTIONS) ? null : bad("asterisk-form target with a method other than OPTIONS");
        }
        if (uri.charAt(0) == '/') {
            return checkPath(uri, 0);
        }
        int colon = uri.indexOf("://", 0);
        if (colon < 0) {
            return bad("request target is neither origin-form nor absolute-form");
        }
        AsciiString scheme = uri.subSequence(0, colon, false);
        if (!scheme.contentEqualsIgnoreCase("http") && !scheme.contentEqualsIgnoreCase("https")) {
            return bad("absolute-form target with scheme " + scheme);
        }
        int authorityStart = colon + 3;
        int pathStart = authorityStart;
        while (pathStart < uri.length() && uri.charAt(pathStart) != '/' && uri.charAt(pathStart) != '?') {
            pathStart++;
        }
        String authority = uri.subSequence(authorityStart, pathStart, false).toString();
        if (authority.indexOf('@') >= 0) {
            return bad("absolute-form target with userinfo");
        }
        if (!Authority.isValid(authority) || authority.isEmpty()) {
            return bad("absolute-form target with an invalid authority");
        }
        // RFC 9112 3.2.2: the target's authority replaces whatever Host said.
        request.toOriginForm(pathStart, authority);
        return checkPath(uri, pathStart);
    }

    /**
     * The path (from {@code from} to the query) must decode cleanly, and never to a NUL, which C-based backends read
     * as the end of the path.
     */
    private static BadRequest checkPath(AsciiString uri, int from) {
        int end = uri.indexOf('?', from);
        if (end < 0) {
            end = uri.length();
        }
        for (int i = from; i < end; i++) {
            if (uri.charAt(i) == '%') {
                if (i + 2 >= end) {
                    return bad("truncated percent-encoding in the path");
                }
                int hi = Character.digit(uri.charAt(i + 1), 16);
                int lo = Character.digit(uri.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return bad("invalid percent-encoding in the path");
                }
                if (hi == 0 && lo == 0) {
                    return bad("percent-encoded NUL in the path");
                }
                i += 2;
            }
        }
        return null;
    }

    /**
     * A client may name in Connection the headers that belong to this hop only, and the proxy drops them. Naming
     * the headers that frame or route the request is an attempt to make the proxy forward a body the backend will
     * read as another request: refused, as nginx does (RFC 9110 7.6.1: a sender must not name such fields).
     */
    private static BadRequest checkConnection(RequestHead request) {
        if (!request.connectionNamesFields()) {
            return null; // no Connection, or only close, keep-alive or upgrade: its tokens were read with the head
        }
        for (int i = 0; i < request.fieldCount(); i++) {
            if (request.kind(i) == RequestField.CONNECTION) {
                Tokens t = new Tokens(request.value(i));
                while (t.next()) {
                    if (isEndToEndOnly(t)) {
                        return bad("Connection names " + t.text());
                    }
                }
            }
        }
        return null;
    }

    /** RFC 9112 6.1: chunked once and last; other codings are not supported (501, as nginx); none in HTTP/1.0. */
    private static BadRequest checkTransferEncoding(RequestHead request) {
        if (!request.chunked()) {
            return null;
        }
        if (request.version() == HttpVersion.HTTP_1_0) {
            return bad("Transfer-Encoding in an HTTP/1.0 request");
        }
        int chunked = 0;
        boolean other = false;
        boolean lastChunked = false;
        for (int i = 0; i < request.fieldCount(); i++) {
            if (request.kind(i) != RequestField.TRANSFER_ENCODING) {
                continue;
            }
            Tokens t = new Tokens(request.value(i));
            while (t.next()) {
                lastChunked = t.is(io.netty.handler.codec.http.HttpHeaderValues.CHUNKED);
                if (lastChunked) {
                    chunked++;
                } else {
                    other = true;
                }
            }
        }
        if (chunked != 1 || !lastChunked) {
            return bad("Transfer-Encoding must end in chunked, once");
        }
        if (other) {
            return new BadRequest(HttpResponseStatus.NOT_IMPLEMENTED, "transfer codings other than chunked are not supported");
        }
        return null;
    }
    /**
     * Headers that frame or route the request for every hop: a Connection header may not make the proxy drop them
     * (RFC 9110 7.6.1). This class refuses a request that tries, and ProxyHeaders keeps them all the same.
     */
    public static boolean isEndToEndOnly(CharSequence name) {
        return AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.HOST)
                || AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)
                || AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING);
    }

    /** {@link #isEndToEndOnly(CharSequence)} for a token still in its header value. */
    public static boolean isEndToEndOnly(Tokens token) {
        return token.is(HttpHeaderNames.HOST) || token.is(HttpHeaderNames.CONTENT_LENGTH)
                || token.is(HttpHeaderNames.TRANSFER_ENCODING);
    }

    private static BadRequest bad(String reason) {
        return new BadRequest(HttpResponseStatus.BAD_REQUEST, reason);
    }
}
