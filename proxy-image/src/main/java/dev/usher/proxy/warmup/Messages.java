package dev.usher.proxy.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The few HTTP/1.1 facts the warm-up's client and stub need: where a head ends, its status and its framing. They
 * read only what the proxy itself sends them, so this is no parser for the wide world. Plain handlers rather than
 * Netty's codecs, so that the warm-up adds no receiver types to call sites the proxy's own codecs share: the JIT
 * compiles those for the proxy's types alone, as they will be under load.
 */
final class Messages {
    /** The answer of a typical small API call; the same length as the benchmark backend's. */
    private static final byte[] BODY = "x".repeat(100).getBytes(StandardCharsets.US_ASCII);
    private static final String OK_HEAD = "HTTP/1.1 200 OK\r\n"
            + "Server: usher-warmup\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: " + BODY.length + "\r\n";

    private Messages() {}

    /** The stub's answer; with {@code Connection: keep-alive} as an HTTP backend (nginx) writes it. */
    static ByteBuf ok(ByteBufAllocator alloc, boolean keepAliveHeader) {
        byte[] head = (OK_HEAD + (keepAliveHeader ? "Connection: keep-alive\r\n" : "") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        return alloc.buffer(head.length + BODY.length).writeBytes(head).writeBytes(BODY);
    }

    /** {@code pending} with {@code data} after it, in one buffer; both are given up. */
    static ByteBuf append(ByteBufAllocator alloc, ByteBuf pending, ByteBuf data) {
        if (pending == null || !pending.isReadable()) {
            if (pending != null) {
                pending.release();
            }
            return data;
        }
        ByteBuf merged = alloc.buffer(pending.readableBytes() + data.readableBytes());
        merged.writeBytes(pending).writeBytes(data);
        pending.release();
        data.release();
        return merged;
    }

    /**
     * The head at the start of {@code buf}, lower-cased, consumed from it; or null when its end has not arrived
     * (then nothing is consumed).
     */
    static String takeHead(ByteBuf buf) {
        int start = buf.readerIndex();
        for (int i = start; i + 3 < buf.writerIndex(); i++) {
            if (buf.getByte(i) == '\r' && buf.getByte(i + 1) == '\n' && buf.getByte(i + 2) == '\r'
                    && buf.getByte(i + 3) == '\n') {
                String head = buf.toString(start, i + 4 - start, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
                buf.readerIndex(i + 4);
                return head;
            }
        }
        return null;
    }

    /** The status of a response head ({@code http/1.1 200 ok}). */
    static int status(String head) {
        return Integer.parseInt(head.substring(9, 12));
    }

    /** Its {@code Content-Length}, or -1 without one. */
    static long contentLength(String head) {
        String value = header(head, "content-length");
        return value == null ? -1 : Long.parseLong(value);
    }

    static boolean chunked(String head) {
        String value = header(head, "transfer-encoding");
        return value != null && value.contains("chunked");
    }

    static boolean closes(String head) {
        String value = header(head, "connection");
        return value != null && value.contains("close");
    }

    private static String header(String head, String name) {
        int at = head.indexOf("\r\n" + name + ":");
        if (at < 0) {
            return null;
        }
        int from = at + name.length() + 3;
        return head.substring(from, head.indexOf("\r\n", from)).trim();
    }
}
