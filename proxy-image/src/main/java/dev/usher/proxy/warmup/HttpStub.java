package dev.usher.proxy.warmup;

import io.netty.channel.ChannelHandlerContext;

/**
 * One connection of the stub HTTP backend: answers each request, once its body has arrived, with a small 200 and
 * keeps the connection open, as an HTTP/1.1 app server does. It takes the requests the warm-up sends through the
 * proxy (bodies with a Content-Length); anything else closes the connection, which the warm-up reports.
 */
final class HttpStub extends FramedReader {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        append(ctx, msg);
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
            if (!skipBody()) {
                return;
            }
            ctx.write(Messages.ok(ctx.alloc(), true));
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }
}
