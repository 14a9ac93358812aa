package dev.usher.proxy.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * One connection of the stub HTTP backend: answers each request, once its body has arrived, with a small 200 and
 * keeps the connection open, as an HTTP/1.1 app server does. It takes the requests the warm-up sends through the
 * proxy (bodies with a Content-Length); anything else closes the connection, which the warm-up reports.
 */
final class HttpStub extends ChannelInboundHandlerAdapter {
    private ByteBuf pending;
    /** Bytes of the current request's body still to come; -1 while its head is awaited. */
    private long bodyLeft = -1;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        pending = Messages.append(ctx.alloc(), pending, (ByteBuf) msg);
        while (true) {
            if (bodyLeft < 0) {
                String head = Messages.takeHead(pending);
                if (head == null) {
                    return;
                }
                if (Messages.chunked(head)) {
                    ctx.close();
                    return;
                }
                bodyLeft = Math.max(0, Messages.contentLength(head));
            }
            int n = (int) Math.min(bodyLeft, pending.readableBytes());
            pending.skipBytes(n);
            bodyLeft -= n;
            if (bodyLeft > 0) {
                return;
            }
            bodyLeft = -1;
            ctx.write(Messages.ok(ctx.alloc(), true));
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
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

    private void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
