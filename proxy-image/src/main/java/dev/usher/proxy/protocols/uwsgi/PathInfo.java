package dev.usher.proxy.protocols.uwsgi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * uwsgi's PATH_INFO is the path decoded and normalized, as nginx's {@code $uri}: apps route on it, so it must be the
 * path the proxy checked, not another reading of the same bytes.
 */
final class PathInfo {
    private PathInfo() {}

    /** PATH_INFO for {@code uri}'s path (its first {@code end} chars), or null when it is those chars unchanged. */
    static String decoded(String uri, int end) {
        return needsDecoding(uri, end) ? normalize(percentDecode(uri.substring(0, end))) : null;
    }

    /** Whether the path (the URI up to {@code end}) changes under {@link #percentDecode} and {@link #normalize}. */
    private static boolean needsDecoding(String uri, int end) {
        for (int i = 0; i < end; i++) {
            char c = uri.charAt(i);
            if (c == '%' || c == '/' && i + 1 < end && (uri.charAt(i + 1) == '/' || uri.charAt(i + 1) == '.')) {
                return true;
            }
        }
        return false;
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
