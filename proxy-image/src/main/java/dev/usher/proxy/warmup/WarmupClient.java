package dev.usher.proxy.warmup;

import io.netty.channel.ChannelHandlerContext;

/**
 * One client connection of the warm-up to one of its listeners: sends a request, reads the whole response, sends
 * the next, as a keep-alive client does, until the {@link Driver} has no more. All of them run on the warm-up's
 * one thread, so the driver needs no locks.
 */
final class WarmupClient extends FramedReader {

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
    private boolean awaiting;
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
        append(ctx, msg);
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
            if (!skipBody()) {
                return;
            }
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
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause.toString());
    }
}
