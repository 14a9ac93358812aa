package dev.usher.proxy.protocols;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * The bytes of chunked framing (RFC 9112 7.1) the proxy writes around data of its own choosing, both ways: a request
 * body re-chunked for an http backend, a response body without a length for an HTTP/1.1 client.
 */
public final class Chunks {
    private static final ByteBuf CRLF = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(2).writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII))).asReadOnly();
    private static final ByteBuf LAST_CHUNK = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(5).writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII))).asReadOnly();

    private Chunks() {}

    /** The line before {@code size} bytes of chunk data: the size in hex and CRLF. */
    public static ByteBuf sizeLine(ByteBufAllocator alloc, int size) {
        ByteBuf line = alloc.buffer(18);
        ByteBufUtil.writeAscii(line, Integer.toHexString(size));
        return line.writeShort(('\r' << 8) | '\n');
    }

    /** The CRLF after a chunk's data. */
    public static ByteBuf dataEnd() {
        return CRLF.duplicate();
    }

    /** The last chunk, with no trailer fields: the body's end. */
    public static ByteBuf last() {
        return LAST_CHUNK.duplicate();
    }
}
