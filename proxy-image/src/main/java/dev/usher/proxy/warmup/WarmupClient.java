package dev.usher.proxy.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * One client connection of the warm-up to one of its listeners: sends a request, reads the whole response, sends
 * the next, as a keep-alive client does, until the {@link Driver} has no more. All of them run on the warm-up's
 * one thread, so the driver needs no locks.
 */
final class WarmupClient extends ChannelInboundHandlerAdapter {

    /** Hands out the requests and hears how each went. */
    interface Driver {
        /** The next request's bytes, or null when every request has been sent. */
        byte[] next();

        void answered();

        void failed(String why);

        /** The connection closed between two exchanges (the proxy's limit of requests per connection). */
        void closedBetweenRequests();
    }

    private final Driver driver;
    private ByteBuf pending;
    private boolean awaiting;
    /** Bytes of the response's body still to come; -1 while its head is awaited. */
    private long bodyLeft = -1;
    private int status;
    private boolean lastOnConnection;

    WarmupClient(Driver driver) {
        this.driver = driver;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        sendNext(ctx);
    }

    private void sendNext(ChannelHandlerContext ctx) {
        byte[] request = driver.next();
        if (request == null) {
            ctx.close();
            return;
        }
        awaiting = true;
        ctx.writeAndFlush(ctx.alloc().buffer(request.length).writeBytes(request));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        pending = Messages.append(ctx.alloc(), pending, (ByteBuf) msg);
        while (awaiting) {
            if (bodyLeft < 0) {
                String head = Messages.takeHead(pending);
                if (head == null) {
                    return;
                }
                status = Messages.status(head);
                bodyLeft = Messages.contentLength(head);
                lastOnConnection = Messages.closes(head);
                if (bodyLeft < 0) {
                    fail(ctx, "a response without Content-Length: " + head.lines().findFirst().orElse(""));
                    return;
                }
            }
            int n = (int) Math.min(bodyLeft, pending.readableBytes());
            pending.skipBytes(n);
            bodyLeft -= n;
            if (bodyLeft > 0) {
                return;
            }
            bodyLeft = -1;
            awaiting = false;
            if (status != 200) {
                fail(ctx, "status " + status + " from the proxy");
                return;
            }
            driver.answered();
            if (lastOnConnection) {
                ctx.close();
                return;
            }
            sendNext(ctx);
        }
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        awaiting = false;
        driver.failed(why);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        if (awaiting) {
            awaiting = false;
            driver.failed("the proxy closed a connection before its response");
        } else {
            driver.closedBetweenRequests();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause.toString());
    }

    private void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
