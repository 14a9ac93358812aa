package dev.usher.proxy.uwsgi;

import dev.usher.proxy.upstream.ClientInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The variables of one uwsgi request, as nginx's stock {@code uwsgi_params} sends them, and their encoding:
 * a 4-byte header ({@code modifier1}, u16le size of the block, {@code modifier2}) then each variable as
 * {@code u16le keylen, key, u16le vallen, value}. Bytes are Latin-1: Netty decodes header bytes one to one, so
 * this gives the backend exactly the bytes the client sent.
 */
final class UwsgiVars {
    /** The largest vars block the 16-bit size field can describe. */
    static final int MAX_BLOCK = 0xFFFF;

    private final List<byte[]> keys = new ArrayList<>(32);
    private final List<byte[]> values = new ArrayList<>(32);
    private int size;

    private UwsgiVars() {}

    static UwsgiVars of(HttpRequest request, ClientInfo client, long contentLength, Map<String, String> params) {
        UwsgiVars v = new UwsgiVars();
        String uri = request.uri();
        int q = uri.indexOf('?');
        String rawPath = q < 0 ? uri : uri.substring(0, q);
        v.add("QUERY_STRING", q < 0 ? "" : uri.substring(q + 1));
        v.add("REQUEST_METHOD", request.method().name());
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        v.add("CONTENT_TYPE", contentType == null ? "" : contentType);
        v.add("CONTENT_LENGTH", contentLength < 0 ? "" : Long.toString(contentLength));
        v.add("REQUEST_URI", uri);
        v.add("PATH_INFO", normalize(percentDecode(rawPath)));
        v.add("DOCUMENT_ROOT", "");
        v.add("SERVER_PROTOCOL", request.protocolVersion().text());
        v.add("REQUEST_SCHEME", client.scheme());
        if ("https".equals(client.scheme())) {
            v.add("HTTPS", "on");
        }
        v.add("REMOTE_ADDR", client.remote().getAddress().getHostAddress());
        v.add("REMOTE_PORT", Integer.toString(client.remote().getPort()));
        v.add("SERVER_PORT", Integer.toString(client.local().getPort()));
        v.add("SERVER_NAME", serverName(request.headers().get(HttpHeaderNames.HOST), client));
        params.forEach(v::add);
        for (Map.Entry<String, String> h : headers(request).entrySet()) {
            v.add(h.getKey(), h.getValue());
        }
        return v;
    }

    /**
     * HTTP_ + name, upper case, '-' as '_'; repeats joined as RFC 9110 allows, cookies with "; " as RFC 6265
     * wants (nginx sends one var per line and the WSGI environ keeps only the last).
     */
    private static Map<String, String> headers(HttpRequest request) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : request.headers()) {
            String name = h.getKey();
            if (name.equalsIgnoreCase("transfer-encoding")) {
                continue; // the body reaches uWSGI whole, with CONTENT_LENGTH: it is not chunked any more
            }
            String key = "HTTP_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
            String separator = key.equals("HTTP_COOKIE") ? "; " : ", ";
            out.merge(key, h.getValue(), (a, b) -> a + separator + b);
        }
        return out;
    }

    private static String serverName(String host, ClientInfo client) {
        if (host == null || host.isEmpty()) {
            return client.local().getAddress().getHostAddress();
        }
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(0, end + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    private void add(String key, String value) {
        byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
        byte[] val = value.getBytes(StandardCharsets.ISO_8859_1);
        keys.add(k);
        values.add(val);
        size += 4 + k.length + val.length;
    }

    /** The size of the vars block, without the 4-byte packet header. */
    int size() {
        return size;
    }

    /** Header and vars block; the caller has checked {@link #size()} fits. */
    ByteBuf encode(ByteBufAllocator alloc, int modifier1) {
        ByteBuf out = alloc.buffer(4 + size);
        out.writeByte(modifier1).writeShortLE(size).writeByte(0);
        for (int i = 0; i < keys.size(); i++) {
            out.writeShortLE(keys.get(i).length).writeBytes(keys.get(i));
            out.writeShortLE(values.get(i).length).writeBytes(values.get(i));
        }
        return out;
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
        java.util.ArrayDeque<String> segments = new java.util.ArrayDeque<>();
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
