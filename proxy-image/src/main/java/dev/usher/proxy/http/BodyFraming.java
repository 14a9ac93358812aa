package dev.usher.proxy.http;

import dev.usher.proxy.protocols.Chunks;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;

/** How a response body's data goes to the client (RFC 9112 6): as it is, or in chunks of its own. */
enum BodyFraming {
    /** Framed by its Content-Length, or absent: the data goes as it is. */
    AS_IS,
    /** No length for an HTTP/1.0 client: the data goes as it is and the close ends it. */
    UNTIL_CLOSE,
    /** No length for an HTTP/1.1 client: each piece becomes a chunk, and a last chunk ends the body. */
    CHUNKED;

    /** Writes a piece of the body; takes ownership of {@code data}. */
    void write(ChannelHandlerContext ctx, ByteBuf data) {
        if (this == CHUNKED) {
            if (!data.isReadable()) {
                data.release(); // an empty chunk would end the body
                return;
            }
            writeChunk(ctx, data);
            return;
        }
        ctx.write(data, ctx.voidPromise());
    }

    /**
     * Writes the body's last piece and flushes; takes ownership of {@code data}.
     *
     * @param promised whether the caller needs the returned future (a void one costs nothing)
     */
    ChannelFuture writeLast(ChannelHandlerContext ctx, ByteBuf data, boolean promised) {
        ByteBuf last = data;
        if (this == CHUNKED) {
            if (data.isReadable()) {
                writeChunk(ctx, data);
            } else {
                data.release();
            }
            last = Chunks.last();
        }
        return promised ? ctx.writeAndFlush(last) : ctx.writeAndFlush(last, ctx.voidPromise());
    }

    private static void writeChunk(ChannelHandlerContext ctx, ByteBuf data) {
        ctx.write(Chunks.sizeLine(ctx.alloc(), data.readableBytes()), ctx.voidPromise());
        ctx.write(data, ctx.voidPromise());
        ctx.write(Chunks.dataEnd(), ctx.voidPromise());
    }
}
