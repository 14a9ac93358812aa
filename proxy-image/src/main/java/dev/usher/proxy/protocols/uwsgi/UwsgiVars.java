package dev.usher.proxy.protocols.uwsgi;

import dev.usher.proxy.protocols.ClientInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.AsciiString;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The variables of one uwsgi request, as nginx's stock {@code uwsgi_params} sends them, and their encoding:
 * a 4-byte header ({@code modifier1}, u16le size of the block, {@code modifier2}) then each variable as
 * {@code u16le keylen, key, u16le vallen, value}. Text is Latin-1, one char per byte: Netty decodes header bytes
 * one to one, so the backend gets exactly the bytes the client sent.
 *
 * <p>The variables are walked twice, once to size the block and once to write it straight into the buffer:
 * cheaper than building them as objects, on a path taken for every request.
 */
final class UwsgiVars {
    /** The largest vars block the 16-bit size field can describe. */
    static final int MAX_BLOCK = 0xFFFF;

    private static final AsciiString TRANSFER_ENCODING = HttpHeaderNames.TRANSFER_ENCODING;
    private static final AsciiString COOKIE = HttpHeaderNames.COOKIE;

    private final HttpRequest request;
    private final ClientInfo client;
    private final String contentLength;
    private final Map<String, String> params;
    private final String query;
    private final String pathInfo;
    private final List<Map.Entry<CharSequence, CharSequence>> headers;
    private final int size;
    private final boolean collectsBody;

    UwsgiVars(HttpRequest request, ClientInfo client, long contentLength, Map<String, String> params) {
        this.request = request;
        this.client = client;
        this.contentLength = contentLength < 0 ? "" : Long.toString(contentLength);
        this.params = params;
        String uri = request.uri();
        int q = uri.indexOf('?');
        this.query = q < 0 ? "" : uri.substring(q + 1);
        this.pathInfo = normalize(percentDecode(q < 0 ? uri : uri.substring(0, q)));
        this.headers = new ArrayList<>(request.headers().size());
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = request.headers().iteratorCharSequence(); it.hasNext(); ) {
            headers.add(it.next());
        }
        this.size = measure();
        this.collectsBody = HttpUtil.isTransferEncodingChunked(request);
    }

    private UwsgiVars(UwsgiVars of, long contentLength) {
        this.request = of.request;
        this.client = of.client;
        this.contentLength = Long.toString(contentLength);
        this.params = of.params;
        this.query = of.query;
        this.pathInfo = of.pathInfo;
        this.headers = of.headers;
        this.size = measure();
        this.collectsBody = false;
    }

    /** The same vars with the CONTENT_LENGTH of a body that was collected whole (a chunked one). */
    UwsgiVars withContentLength(long contentLength) {
        return new UwsgiVars(this, contentLength);
    }

    /**
     * Whether the encoder must collect the body before it can write these vars: a chunked body's CONTENT_LENGTH is
     * known only at its end, unless the proxy read it whole first ({@link #withContentLength}).
     */
    boolean collectsBody() {
        return collectsBody;
    }

    HttpRequest request() {
        return request;
    }

    private int measure() {
        Counter counter = new Counter();
        visit(counter);
        return counter.size;
    }

    /** The size of the vars block, without the 4-byte packet header. */
    int size() {
        return size;
    }

    /** Header and vars block; the caller has checked {@link #size()} fits. */
    ByteBuf encode(ByteBufAllocator alloc, int modifier1) {
        ByteBuf out = alloc.buffer(4 + size);
        out.writeByte(modifier1).writeShortLE(size).writeByte(0);
        visit(new Writer(out));
        return out;
    }

    private void visit(Sink sink) {
        sink.var("QUERY_STRING", query);
        sink.var("REQUEST_METHOD", request.method().asciiName());
        CharSequence contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        sink.var("CONTENT_TYPE", contentType == null ? "" : contentType);
        sink.var("CONTENT_LENGTH", contentLength);
        sink.var("REQUEST_URI", request.uri());
        sink.var("PATH_INFO", pathInfo);
        sink.var("DOCUMENT_ROOT", "");
        sink.var("SERVER_PROTOCOL", request.protocolVersion().text());
        sink.var("REQUEST_SCHEME", client.scheme());
        if ("https".equals(client.scheme())) {
            sink.var("HTTPS", "on");
        }
        sink.var("REMOTE_ADDR", client.remoteIp());
        sink.var("REMOTE_PORT", Integer.toString(client.remote().getPort()));
        sink.var("SERVER_PORT", Integer.toString(client.local().getPort()));
        sink.var("SERVER_NAME", serverName(request.headers().get(HttpHeaderNames.HOST), client));
        params.forEach(sink::var);
        visitHeaders(sink);
    }

    /**
     * HTTP_ + name, upper case, '-' as '_'. Repeats are joined as RFC 9110 allows, cookies with "; " as RFC 6265
     * wants (nginx sends one var per line and the WSGI environ keeps only the last).
     */
    private void visitHeaders(Sink sink) {
        int n = headers.size();
        for (int i = 0; i < n; i++) {
            CharSequence name = headers.get(i).getKey();
            if (AsciiString.contentEqualsIgnoreCase(name, TRANSFER_ENCODING) || seenBefore(name, i)) {
                continue; // the body reaches uWSGI whole, with CONTENT_LENGTH: it is not chunked any more
            }
            int valuesSize = 0;
            int count = 0;
            for (int j = i; j < n; j++) {
                if (AsciiString.contentEqualsIgnoreCase(headers.get(j).getKey(), name)) {
                    valuesSize += headers.get(j).getValue().length();
                    count++;
                }
            }
            String separator = AsciiString.contentEqualsIgnoreCase(name, COOKIE) ? "; " : ", ";
            sink.header(name, i, count, valuesSize + (count - 1) * separator.length(), separator);
        }
    }

    private boolean seenBefore(CharSequence name, int index) {
        for (int j = 0; j < index; j++) {
            if (AsciiString.contentEqualsIgnoreCase(headers.get(j).getKey(), name)) {
                return true;
            }
        }
        return false;
    }

    private interface Sink {
        void var(CharSequence key, CharSequence value);

        /** A request header, whose values are the {@code count} entries named {@code name} from {@code first} on. */
        void header(CharSequence name, int first, int count, int valueLength, String separator);
    }

    private static final class Counter implements Sink {
        int size;

        @Override
        public void var(CharSequence key, CharSequence value) {
            size += 4 + key.length() + value.length();
        }

        @Override
        public void header(CharSequence name, int first, int count, int valueLength, String separator) {
            size += 4 + 5 + name.length() + valueLength;
        }
    }

    private final class Writer implements Sink {
        private final ByteBuf out;

        Writer(ByteBuf out) {
            this.out = out;
        }

        @Override
        public void var(CharSequence key, CharSequence value) {
            out.writeShortLE(key.length());
            out.writeCharSequence(key, StandardCharsets.ISO_8859_1);
            out.writeShortLE(value.length());
            out.writeCharSequence(value, StandardCharsets.ISO_8859_1);
        }

        @Override
        public void header(CharSequence name, int first, int count, int valueLength, String separator) {
            out.writeShortLE(5 + name.length());
            out.writeCharSequence("HTTP_", StandardCharsets.ISO_8859_1);
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                out.writeByte(c == '-' ? '_' : (c >= 'a' && c <= 'z' ? c - 32 : c));
            }
            out.writeShortLE(valueLength);
            int written = 0;
            for (int j = first; written < count; j++) {
                Map.Entry<CharSequence, CharSequence> h = headers.get(j);
                if (AsciiString.contentEqualsIgnoreCase(h.getKey(), name)) {
                    if (written > 0) {
                        out.writeCharSequence(separator, StandardCharsets.ISO_8859_1);
                    }
                    out.writeCharSequence(h.getValue(), StandardCharsets.ISO_8859_1);
                    written++;
                }
            }
        }
    }

    private static CharSequence serverName(CharSequence host, ClientInfo client) {
        if (host == null || host.length() == 0) {
            return client.local().getAddress().getHostAddress();
        }
        String h = host.toString();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** %XX to bytes, kept as Latin-1 chars so they reach the backend unchanged; '+' stays '+' in a path. */
    static String percentDecode(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length() && hex(path.charAt(i + 1)) >= 0 && hex(path.charAt(i + 2)) >= 0) {
                out.write(hex(path.charAt(i + 1)) * 16 + hex(path.charAt(i + 2)));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** Merges repeated slashes and resolves "." and ".." (never above the root), as nginx does for $uri. */
    static String normalize(String path) {
        if (!path.contains("//") && !path.contains("/.")) {
            return path;
        }
        ArrayDeque<String> segments = new ArrayDeque<>();
        String[] parts = path.split("/", -1);
        for (String part : parts) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                segments.pollLast();
            } else {
                segments.addLast(part);
            }
        }
        String last = parts[parts.length - 1];
        boolean trailingSlash = last.isEmpty() || last.equals(".") || last.equals("..");
        String joined = "/" + String.join("/", segments);
        return trailingSlash && !segments.isEmpty() ? joined + "/" : joined;
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
