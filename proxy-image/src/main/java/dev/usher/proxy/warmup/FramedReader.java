package dev.usher.proxy.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The part the warm-up's client and stubs share: bytes kept until a message's head has come whole, then its body
 * of a known length skipped as it comes. Not Netty's ByteToMessageDecoder, for the reason {@link Messages} gives.
 */
abstract class FramedReader extends ChannelInboundHandlerAdapter {
    /** What has come and is not read yet; null or empty when nothing is. */
    protected ByteBuf pending;
    /** Bytes of the current message's body still to come; -1 while its head is awaited. */
    protected long bodyLeft = -1;

    /** Adds a read's bytes to {@link #pending}. */
    protected final void append(ChannelHandlerContext ctx, Object msg) {
        pending = Messages.append(ctx.alloc(), pending, (ByteBuf) msg);
    }

    /** Skips what has come of the body; true once all of it has, and the next head is awaited. */
    protected final boolean skipBody() {
        int n = (int) Math.min(bodyLeft, pending.readableBytes());
        pending.skipBytes(n);
        bodyLeft -= n;
        if (bodyLeft > 0) {
            return false;
        }
        bodyLeft = -1;
        return true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    protected final void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
