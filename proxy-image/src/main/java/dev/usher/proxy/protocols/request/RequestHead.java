package dev.usher.proxy.protocols.request;

import dev.usher.proxy.http.validation.Tokens;
import dev.usher.proxy.protocols.ConnectionNames;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * A client's request head as it came: a copy of its bytes, where the request line's parts and each field line sit
 * in them, and the facts the proxy acts on (framing, Host, Connection's tokens, Expect), all read once. The lines
 * the proxy keeps go upstream as these bytes ({@link UpstreamHead}), so nothing is decoded into header objects and
 * encoded again.
 *
 * <p>Unlike a response head, which is a view of the event loop's parse buffer, a request head owns its bytes: it is
 * used after the read that brought it, when an upstream connects, by retries and by the access log. The only changes
 * made to it are {@code RequestCheck}'s: an absolute-form target read as origin-form, and the Host that implies.
 */
public final class RequestHead {
    private final byte[] bytes;
    private final int methodStart;
    private final int methodEnd;
    private int targetStart;
    private final int targetEnd;
    /** Whether "/" goes before the target's bytes: an absolute-form target with no path ({@code http://a?q}). */
    private boolean slashFirst;
    private final int versionStart;
    /** {@link RequestField} ordinal, name start, name end, value start, value end: per field line, offsets in bytes. */
    private final int[] fields;
    private final int fieldCount;
    /** The Host the backend gets instead of the client's, when the target or the connection decides it. */
    private String host;
    private String target;
    private HttpMethod method;

    private int hosts;
    private int firstHost = -1;
    private int contentLengthLines;
    private long contentLength = -1;
    private boolean transferEncoding;
    private boolean close;
    private boolean keepAliveToken;
    private boolean upgradeToken;
    private boolean connectionNamesFields;
    private boolean expectContinue;
    private boolean upgradeField;
    /** Per field, whether a Connection line names it; made on first use, when some line may. */
    private boolean[] named;

    /**
     * @param bytes  the head, through its empty line; it becomes this head's own
     * @param fields 5 ints per field line; the scanner fills the offsets (1 to 4), the kind (0) is set here
     */
    public RequestHead(byte[] bytes, int methodStart, int methodEnd, int targetStart, int targetEnd, int versionStart,
                       int[] fields, int fieldCount) {
        this.bytes = bytes;
        this.methodStart = methodStart;
        this.methodEnd = methodEnd;
        this.targetStart = targetStart;
        this.targetEnd = targetEnd;
        this.versionStart = versionStart;
        this.fields = fields;
        this.fieldCount = fieldCount;
        for (int i = 0; i < fieldCount; i++) {
            RequestField kind = RequestField.of(bytes, fields[5 * i + 1], fields[5 * i + 2]);
            fields[5 * i] = kind.ordinal();
            read(i, kind);
        }
    }

    private void read(int i, RequestField kind) {
        int start = fields[5 * i + 3];
        int end = fields[5 * i + 4];
        switch (kind) {
            case HOST -> {
                if (hosts++ == 0) {
                    firstHost = i;
                }
            }
            case CONTENT_LENGTH -> {
                contentLengthLines++;
                contentLength = digits(start, end);
            }
            case TRANSFER_ENCODING -> transferEncoding = true;
            case UPGRADE -> upgradeField = true;
            case EXPECT -> expectContinue |= AsciiString.contentEqualsIgnoreCase(view(start, end), HttpHeaderValues.CONTINUE);
            case CONNECTION -> {
                Tokens t = new Tokens(view(start, end));
                while (t.next()) {
                    if (t.is(HttpHeaderValues.CLOSE)) {
                        close = true;
                        connectionNamesFields = true; // a field named Close goes too, as any other named one
                    } else if (t.is(HttpHeaderValues.KEEP_ALIVE)) {
                        keepAliveToken = true;
                    } else if (t.is(HttpHeaderValues.UPGRADE)) {
                        upgradeToken = true;
                    } else {
                        connectionNamesFields = true;
                    }
                }
            }
            default -> { }
        }
    }

    /** A Content-Length value: 1 to 18 digits and nothing else, or -2. */
    private long digits(int start, int end) {
        if (end == start || end - start > 18) {
            return -2;
        }
        long v = 0;
        for (int i = start; i < end; i++) {
            byte b = bytes[i];
            if (b < '0' || b > '9') {
                return -2;
            }
            v = v * 10 + (b - '0');
        }
        return v;
    }

    private AsciiString view(int start, int end) {
        return new AsciiString(bytes, start, end - start, false);
    }

    byte[] bytes() {
        return bytes;
    }

    /** The method; a registered one is Netty's constant, with no string made for it. */
    public HttpMethod method() {
        if (method == null) {
            method = methodOf(bytes, methodStart, methodEnd);
        }
        return method;
    }

    private static HttpMethod methodOf(byte[] b, int start, int end) {
        int n = end - start;
        if (n == 3 && b[start] == 'G' && b[start + 1] == 'E' && b[start + 2] == 'T') {
            return HttpMethod.GET;
        }
        if (n == 4 && b[start] == 'P' && b[start + 1] == 'O' && b[start + 2] == 'S' && b[start + 3] == 'T') {
            return HttpMethod.POST;
        }
        if (n == 4 && b[start] == 'H' && b[start + 1] == 'E' && b[start + 2] == 'A' && b[start + 3] == 'D') {
            return HttpMethod.HEAD;
        }
        // HttpMethod.valueOf gives the constant for every other registered method, and a new one for the rest.
        return HttpMethod.valueOf(new String(b, start, n, StandardCharsets.US_ASCII));
    }

    /** HTTP/1.0 or HTTP/1.1: a later 1.x is served as 1.1 (RFC 9110 2.5). */
    public HttpVersion version() {
        return bytes[versionStart + 7] == '0' ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
    }

    /** The version as the client wrote it ({@code HTTP/1.1}). */
    public String versionText() {
        return new String(bytes, versionStart, 8, StandardCharsets.US_ASCII);
    }

    /** The target as it goes upstream; made into a string on first use. */
    public String target() {
        if (target == null) {
            String t = new String(bytes, targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);
            target = slashFirst ? "/" + t : t;
        }
        return target;
    }

    /** The target as the client sent it, read in place. */
    public AsciiString targetView() {
        return view(targetStart, targetEnd);
    }

    /**
     * Reads an absolute-form target as origin-form (RFC 9112 3.2.2): the target becomes what follows its authority
     * ({@code from}, an index into {@link #targetView()}), and the authority becomes the Host.
     */
    public void toOriginForm(int from, String authority) {
        targetStart += from;
        slashFirst = targetStart == targetEnd || bytes[targetStart] == '?';
        target = null;
        host = authority;
    }

    /** Sets the Host the backend gets, in place of any the client sent. */
    public void setHost(String value) {
        host = value;
    }

    /** The Host the proxy set, or null when the client's goes upstream. */
    public String hostOverride() {
        return host;
    }

    /** The client's first Host line, or -1. */
    public int hostField() {
        return firstHost;
    }

    /** The Host the backend gets, read in place when it is the client's; null when there is none. */
    public CharSequence host() {
        return host != null ? host : firstHost < 0 ? null : value(firstHost);
    }

    void writeRequestLine(ByteBuf out) {
        out.writeBytes(bytes, methodStart, methodEnd - methodStart).writeByte(' ');
        if (slashFirst) {
            out.writeByte('/');
        }
        out.writeBytes(bytes, targetStart, targetEnd - targetStart);
    }

    /** The length of the request line's method and target, for sizing what is written. */
    int requestLineSize() {
        return targetEnd - methodStart + 1;
    }

    int methodStart() {
        return methodStart;
    }

    int methodEnd() {
        return methodEnd;
    }

    /** The head's length in bytes, as it came. */
    public int size() {
        return bytes.length;
    }

    public int fieldCount() {
        return fieldCount;
    }

    public RequestField kind(int field) {
        return RequestField.VALUES[fields[5 * field]];
    }

    int nameStart(int field) {
        return fields[5 * field + 1];
    }

    int nameEnd(int field) {
        return fields[5 * field + 2];
    }

    int valueStart(int field) {
        return fields[5 * field + 3];
    }

    int valueEnd(int field) {
        return fields[5 * field + 4];
    }

    /** A field's name as it came, read in place. */
    public AsciiString name(int field) {
        return view(fields[5 * field + 1], fields[5 * field + 2]);
    }

    /** A field's value, trimmed, read in place. */
    public AsciiString value(int field) {
        return view(fields[5 * field + 3], fields[5 * field + 4]);
    }

    /** The length of a field's value, trimmed. */
    public int valueLength(int field) {
        return fields[5 * field + 4] - fields[5 * field + 3];
    }

    /** The first value of a field of this kind, as a string, or null. */
    public String value(RequestField kind) {
        for (int i = 0; i < fieldCount; i++) {
            if (fields[5 * i] == kind.ordinal()) {
                return value(i).toString();
            }
        }
        return null;
    }

    /** How many Host lines the client sent. */
    public int hostCount() {
        return hosts;
    }

    /** How many Content-Length lines the client sent. */
    public int contentLengthLines() {
        return contentLengthLines;
    }

    /** Content-Length's value; -1 without one, -2 when it is not a plain number. */
    public long contentLength() {
        return contentLength;
    }

    /** Whether the client sent Transfer-Encoding: the body is chunked, once RequestCheck accepts the codings. */
    public boolean chunked() {
        return transferEncoding;
    }

    /** Whether the request announced a body (Content-Length over 0, or chunked). */
    public boolean hasBody() {
        return transferEncoding || contentLength > 0;
    }

    /** Whether the client keeps its connection after this request (RFC 9112 9.3). */
    public boolean keepAlive() {
        return !close && (version() == HttpVersion.HTTP_1_1 || keepAliveToken);
    }

    /** A request asking to switch protocols (WebSocket and others): Connection names upgrade and Upgrade is set. */
    public boolean upgrade() {
        return upgradeField && upgradeToken;
    }

    /** {@code Expect: 100-continue} from an HTTP/1.1 client, which the proxy answers itself. */
    public boolean expectsContinue() {
        return expectContinue && version() == HttpVersion.HTTP_1_1;
    }

    /** Whether a Connection line names anything beyond close, keep-alive and upgrade: read when the head was. */
    public boolean connectionNamesFields() {
        return connectionNamesFields;
    }

    /**
     * Whether a Connection line names this field (RFC 9110 7.6.1: it belongs to this hop). The fields that frame
     * or route a message are never dropped that way.
     */
    public boolean namedByConnection(int field) {
        if (!connectionNamesFields) {
            return false;
        }
        if (named == null) {
            named = ConnectionNames.named(bytes, fields, fieldCount, RequestField.CONNECTION.ordinal());
        }
        return named[field];
    }
}
