package dev.usher.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The proxy's own answers: the status line as plain text and nothing else. Why is logged, never sent: an
 * exception's text or an upstream's address tells a client about the inside. Written as bytes, as every response
 * to a client is.
 */
final class ErrorResponses {
    private ErrorResponses() {}

    /** What the answer says of the connection. */
    enum Connection {
        CLOSE,
        /** HTTP/1.1's default: nothing to say. */
        KEEP_ALIVE,
        /** An HTTP/1.0 client that asked to keep the connection is told it is kept (RFC 9112 9.3). */
        KEEP_ALIVE_HTTP10
    }

    /** @param retryAfter seconds for Retry-After, or 0 for none */
    static ByteBuf of(ByteBufAllocator alloc, HttpResponseStatus status, Connection connection, int retryAfter) {
        String text = status.code() + " " + status.reasonPhrase() + "\n";
        StringBuilder head = new StringBuilder(192)
                .append("HTTP/1.1 ").append(status.code()).append(' ').append(status.reasonPhrase()).append("\r\n")
                .append("content-type: text/plain; charset=utf-8\r\n")
                .append("content-length: ").append(text.length()).append("\r\n")
                .append("cache-control: no-store\r\n");
        if (connection == Connection.CLOSE) {
            head.append("connection: close\r\n");
        } else if (connection == Connection.KEEP_ALIVE_HTTP10) {
            head.append("connection: keep-alive\r\n");
        }
        if (retryAfter > 0) {
            head.append("retry-after: ").append(retryAfter).append("\r\n");
        }
        head.append("\r\n").append(text);
        ByteBuf out = alloc.buffer(head.length());
        ByteBufUtil.writeAscii(out, head);
        return out;
    }
}
