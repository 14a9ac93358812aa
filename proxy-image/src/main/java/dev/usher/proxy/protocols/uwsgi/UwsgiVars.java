package dev.usher.proxy.protocols.uwsgi;

import dev.usher.proxy.protocols.ClientInfo;
import dev.usher.proxy.protocols.request.RequestHead;
import dev.usher.proxy.protocols.request.UpstreamHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The variables of one uwsgi request, as nginx's stock {@code uwsgi_params} sends them, and their encoding:
 * a 4-byte header ({@code modifier1}, u16le size of the block, {@code modifier2}) then each variable as
 * {@code u16le keylen, key, u16le vallen, value}. Header values are copied from the head's bytes, so the backend
 * gets exactly the bytes the client sent; other text is Latin-1, one char per byte.
 *
 * <p>The block is written once, into an array sized from the values' lengths, when the request is prepared: its size
 * is checked there, and the encoder (and a retry) only copies it. Values are written from where they are (a slice of
 * the URI, the field lines of the {@link UpstreamHead}) rather than cut out as strings first.
 */
final class UwsgiVars {
    /** The largest vars block the 16-bit size field can describe. */
    static final int MAX_BLOCK = 0xFFFF;

    private static final byte[] QUERY_STRING = key("QUERY_STRING");
    private static final byte[] REQUEST_METHOD = key("REQUEST_METHOD");
    private static final byte[] CONTENT_TYPE = key("CONTENT_TYPE");
    private static final byte[] CONTENT_LENGTH = key("CONTENT_LENGTH");
    private static final byte[] REQUEST_URI = key("REQUEST_URI");
    private static final byte[] PATH_INFO = key("PATH_INFO");
    private static final byte[] DOCUMENT_ROOT = key("DOCUMENT_ROOT");
    private static final byte[] SERVER_PROTOCOL = key("SERVER_PROTOCOL");
    private static final byte[] REQUEST_SCHEME = key("REQUEST_SCHEME");
    private static final byte[] HTTPS = key("HTTPS");
    private static final byte[] REMOTE_ADDR = key("REMOTE_ADDR");
    private static final byte[] REMOTE_PORT = key("REMOTE_PORT");
    private static final byte[] SERVER_PORT = key("SERVER_PORT");
    private static final byte[] SERVER_NAME = key("SERVER_NAME");
    /** Every fixed key with its length prefix, and the length prefix of each fixed value. */
    private static final int FIXED_KEYS = QUERY_STRING.length + REQUEST_METHOD.length + CONTENT_TYPE.length
            + CONTENT_LENGTH.length + REQUEST_URI.length + PATH_INFO.length + DOCUMENT_ROOT.length
            + SERVER_PROTOCOL.length + REQUEST_SCHEME.length + REMOTE_ADDR.length + REMOTE_PORT.length
            + SERVER_PORT.length + SERVER_NAME.length + 13 * 2;
    /** A header var beyond its name and values: two length prefixes, "HTTP_", and room for one ", " joint. */
    private static final int HEADER_OVERHEAD = 2 + 5 + 2 + 2;

    /** A header name's byte as it appears in its var's key: upper case, '-' as '_'. */
    private static final byte[] KEY_BYTE = new byte[256];

    static {
        for (int c = 0; c < 256; c++) {
            KEY_BYTE[c] = (byte) (c == '-' ? '_' : c >= 'a' && c <= 'z' ? c - 32 : c);
        }
    }

    private static final byte[] TRANSFER_ENCODING_NAME = ascii("transfer-encoding");
    private static final byte[] COOKIE_NAME = ascii("cookie");
    private static final byte[] HOST_NAME = ascii("host");
    private static final byte[] CONTENT_TYPE_NAME = ascii("content-type");

    private final UpstreamHead request;
    private final ClientInfo client;
    private final byte[] params;
    private final boolean collectsBody;
    private final byte[] block;
    private final int size;

    /**
     * @param params the configured extra vars, already encoded ({@link #encodeParams})
     * @param chunked whether the body is chunked: its length is known only at its end
     */
    UwsgiVars(UpstreamHead request, ClientInfo client, long contentLength, byte[] params, boolean chunked) {
        this.request = request;
        this.client = client;
        this.params = params;
        this.collectsBody = chunked;
        Block b = write(request, client, contentLength < 0 ? "" : Long.toString(contentLength), params);
        this.block = b.bytes;
        this.size = b.size;
    }

    /** The same vars with the CONTENT_LENGTH of a body that was collected whole (a chunked one). */
    UwsgiVars withContentLength(long contentLength) {
        return new UwsgiVars(request, client, contentLength, params, false);
    }

    /**
     * Whether the encoder must collect the body before it can write these vars: a chunked body's CONTENT_LENGTH is
     * known only at its end, unless the proxy read it whole first ({@link #withContentLength}).
     */
    boolean collectsBody() {
        return collectsBody;
    }

    UpstreamHead request() {
        return request;
    }

    /** The size of the vars block, without the 4-byte packet header. */
    int size() {
        return size;
    }

    /** Header and vars block; the caller has checked {@link #size()} fits. */
    ByteBuf encode(ByteBufAllocator alloc, int modifier1) {
        ByteBuf out = alloc.ioBuffer(4 + size);
        out.writeByte(modifier1).writeShortLE(size).writeByte(0);
        out.writeBytes(block, 0, size);
        return out;
    }

    /** The configured extra vars ({@code upstream.uwsgi.params}) as they go into every block. */
    static byte[] encodeParams(Map<String, String> params) {
        int length = 0;
        for (Map.Entry<String, String> p : params.entrySet()) {
            length += 4 + p.getKey().length() + p.getValue().length();
        }
        Block b = new Block(length);
        params.forEach((k, v) -> b.var(k, v));
        return b.bytes;
    }

    private static Block write(UpstreamHead head, ClientInfo client, String contentLength, byte[] params) {
        RequestHead request = head.request();
        int n = head.fieldCount();
        int hostField = -1;
        int contentTypeField = -1;
        int headerBytes = 0;
        // A bit per name's case-insensitive hash: no bit set twice means no name repeats, and no pairs to compare.
        long names = 0;
        boolean repeats = false;
        for (int f = 0; f < n; f++) {
            if (head.nameContains(f, (byte) '_')) {
                continue;
            }
            headerBytes += HEADER_OVERHEAD + head.nameEnd(f) - head.nameStart(f) + head.valueEnd(f) - head.valueStart(f);
            long bit = 1L << head.nameHash(f);
            repeats |= (names & bit) != 0;
            names |= bit;
            // The first of each.
            if (hostField < 0 && head.nameIs(f, HOST_NAME)) {
                hostField = f;
            } else if (contentTypeField < 0 && head.nameIs(f, CONTENT_TYPE_NAME)) {
                contentTypeField = f;
            }
        }
        CharSequence host = hostField < 0 ? null : value(head, hostField);
        CharSequence contentType = contentTypeField < 0 ? "" : value(head, contentTypeField);
        String uri = request.target();
        int q = uri.indexOf('?');
        int pathEnd = q < 0 ? uri.length() : q;
        String decodedPath = PathInfo.decoded(uri, pathEnd);
        int pathLength = decodedPath == null ? pathEnd : decodedPath.length();
        int queryStart = q < 0 ? uri.length() : q + 1;
        CharSequence serverName = host == null || host.length() == 0 ? client.local().getAddress().getHostAddress() : host;
        int serverNameEnd = host == null || host.length() == 0 ? serverName.length() : hostnameEnd(host);
        AsciiString method = request.method().asciiName();
        String protocol = request.versionText();
        boolean https = "https".equals(client.scheme());

        Block b = new Block(FIXED_KEYS + (uri.length() - queryStart) + method.length() + contentType.length()
                + contentLength.length() + uri.length() + pathLength + protocol.length() + client.scheme().length()
                + (https ? HTTPS.length + 4 : 0) + client.remoteIp().length() + client.remotePort().length()
                + client.localPort().length() + serverNameEnd + params.length + headerBytes);
        b.var(QUERY_STRING, uri, queryStart, uri.length());
        b.var(REQUEST_METHOD, method);
        b.var(CONTENT_TYPE, contentType);
        b.var(CONTENT_LENGTH, contentLength);
        b.var(REQUEST_URI, uri);
        if (decodedPath == null) {
            b.var(PATH_INFO, uri, 0, pathEnd);
        } else {
            b.var(PATH_INFO, decodedPath);
        }
        b.var(DOCUMENT_ROOT, "");
        b.var(SERVER_PROTOCOL, protocol);
        b.var(REQUEST_SCHEME, client.scheme());
        if (https) {
            b.var(HTTPS, "on");
        }
        b.var(REMOTE_ADDR, client.remoteIp());
        b.var(REMOTE_PORT, client.remotePort());
        b.var(SERVER_PORT, client.localPort());
        b.var(SERVER_NAME, serverName, 0, serverNameEnd);
        b.raw(params);
        writeHeaders(b, head, repeats);
        return b;
    }

    /**
     * HTTP_ + name, upper case, '-' as '_'. A name with '_' would become the same var as its '-' spelling
     * ({@code X_Forwarded_For} beside the proxy's X-Forwarded-For), which the app could take for it: such fields are
     * not passed, as nginx's {@code underscores_in_headers off} does not pass them. Repeats are joined as RFC 9110 allows, cookies with "; " as RFC 6265
     * wants (nginx sends one var per line and the WSGI environ keeps only the last).
     */
    private static void writeHeaders(Block b, UpstreamHead head, boolean repeats) {
        int n = head.fieldCount();
        RepeatedFields same = repeats ? RepeatedFields.of(head) : null;
        for (int i = 0; i < n; i++) {
            if (head.nameIs(i, TRANSFER_ENCODING_NAME) || head.nameContains(i, (byte) '_')
                    || same != null && same.repeat(i)) {
                continue; // Transfer-Encoding: the body reaches uWSGI whole, with CONTENT_LENGTH, not chunked
            }
            int valuesSize = head.valueEnd(i) - head.valueStart(i);
            int count = 1;
            for (int j = same == null ? -1 : same.next(i); j >= 0; j = same.next(j)) {
                valuesSize += head.valueEnd(j) - head.valueStart(j);
                count++;
            }
            String separator = head.nameIs(i, COOKIE_NAME) ? "; " : ", ";
            b.headerName(head.array(i), head.nameStart(i), head.nameEnd(i));
            b.u16(valuesSize + (count - 1) * separator.length());
            b.value(head, i);
            for (int j = same == null ? -1 : same.next(i); j >= 0; j = same.next(j)) {
                b.latin1(separator);
                b.value(head, j);
            }
        }
    }

    private static AsciiString value(UpstreamHead head, int f) {
        return new AsciiString(head.array(f), head.valueStart(f), head.valueEnd(f) - head.valueStart(f), false);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A fixed key with its u16le length in front. */
    private static byte[] key(String name) {
        Block b = new Block(2 + name.length());
        b.u16(name.length());
        b.latin1(name);
        return b.bytes;
    }

    /** Bytes written into an array whose length the caller computed: what is not written stays unused. */
    private static final class Block {
        final byte[] bytes;
        int size;

        Block(int capacity) {
            bytes = new byte[capacity];
        }

        void var(byte[] key, CharSequence value) {
            raw(key);
            u16(value.length());
            latin1(value);
        }

        void var(byte[] key, CharSequence value, int from, int to) {
            raw(key);
            u16(to - from);
            latin1(value, from, to);
        }

        void var(String key, String value) {
            u16(key.length());
            latin1(key);
            u16(value.length());
            latin1(value);
        }

        void headerName(byte[] src, int start, int end) {
            u16(5 + end - start);
            bytes[size++] = 'H';
            bytes[size++] = 'T';
            bytes[size++] = 'T';
            bytes[size++] = 'P';
            bytes[size++] = '_';
            for (int i = start; i < end; i++) {
                bytes[size++] = KEY_BYTE[src[i] & 0xFF];
            }
        }

        /** A field's value, as its bytes came. */
        void value(UpstreamHead head, int f) {
            int n = head.valueEnd(f) - head.valueStart(f);
            System.arraycopy(head.array(f), head.valueStart(f), bytes, size, n);
            size += n;
        }

        void raw(byte[] b) {
            System.arraycopy(b, 0, bytes, size, b.length);
            size += b.length;
        }

        void u16(int v) {
            bytes[size++] = (byte) v;
            bytes[size++] = (byte) (v >>> 8);
        }

        void latin1(CharSequence s) {
            if (s instanceof AsciiString a) {
                a.copy(0, bytes, size, a.length());
                size += a.length();
            } else {
                latin1(s, 0, s.length());
            }
        }

        void latin1(CharSequence s, int from, int to) {
            for (int i = from; i < to; i++) {
                bytes[size++] = latin1(s.charAt(i));
            }
        }

        /** As the ISO-8859-1 encoder does: a char it cannot encode becomes '?'. */
        private static byte latin1(char c) {
            return (byte) (c <= 0xFF ? c : '?');
        }
    }

    /** Where the host name ends in a Host header: before the port, after an IPv6 literal's bracket. */
    private static int hostnameEnd(CharSequence host) {
        if (host.charAt(0) == '[') {
            int end = indexOf(host, ']');
            return end < 0 ? host.length() : end + 1;
        }
        int colon = indexOf(host, ':');
        return colon < 0 ? host.length() : colon;
    }

    private static int indexOf(CharSequence s, char c) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }
}
