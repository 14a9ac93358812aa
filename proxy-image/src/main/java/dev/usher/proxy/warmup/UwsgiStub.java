package dev.usher.proxy.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;

/**
 * One connection of the stub uWSGI: reads the uwsgi packet (a 4-byte header, the vars block) and the body of
 * CONTENT_LENGTH bytes after it, then answers in plain HTTP and closes, as uWSGI does.
 */
final class UwsgiStub extends FramedReader {
    private static final int HEADER = 4;

    private boolean answered;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answered) {
            ((ByteBuf) msg).release();
            return;
        }
        append(ctx, msg);
        if (bodyLeft < 0) {
            if (pending.readableBytes() < HEADER) {
                return;
            }
            int varsSize = pending.getUnsignedShortLE(pending.readerIndex() + 1);
            if (pending.readableBytes() < HEADER + varsSize) {
                return;
            }
            bodyLeft = contentLength(pending, pending.readerIndex() + HEADER, varsSize);
            pending.skipBytes(HEADER + varsSize);
        }
        if (skipBody()) {
            answered = true;
            ctx.writeAndFlush(Messages.ok(ctx.alloc(), false)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The CONTENT_LENGTH var of the block at {@code from}: a list of (u16 length, key, u16 length, value). */
    private static long contentLength(ByteBuf buf, int from, int size) {
        int i = from;
        int end = from + size;
        while (i + 2 <= end) {
            int keyLength = buf.getUnsignedShortLE(i);
            String key = buf.toString(i + 2, keyLength, StandardCharsets.US_ASCII);
            i += 2 + keyLength;
            int valueLength = buf.getUnsignedShortLE(i);
            String value = buf.toString(i + 2, valueLength, StandardCharsets.US_ASCII);
            i += 2 + valueLength;
            if (key.equals("CONTENT_LENGTH")) {
                return value.isEmpty() ? 0 : Long.parseLong(value);
            }
        }
        return 0;
    }
}
