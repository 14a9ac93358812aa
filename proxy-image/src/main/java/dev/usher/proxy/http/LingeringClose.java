package dev.usher.proxy.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection without losing its last response. Closing a socket that still has unread input makes
 * the kernel send a reset, and a reset can destroy responses the client has not read yet (pipelined requests,
 * a body after a refused head). So, as nginx's lingering close: send FIN after the last response, read and drop
 * whatever the client still sends, and close when it closes or after {@value #LINGER_SECONDS} seconds.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter {
    static final int LINGER_SECONDS = 5;

    private LingeringClose() {}

    /** Once {@code lastWrite} is done, half-closes its channel and drains it. */
    static void after(ChannelFuture lastWrite) {
        lastWrite.addListener(f -> {
            Channel ch = lastWrite.channel();
            if (!f.isSuccess() || !ch.isActive() || !(ch instanceof DuplexChannel duplex)) {
                ch.close();
                return;
            }
            ch.pipeline().addFirst(new LingeringClose());
            duplex.shutdownOutput().addListener(x -> {
                if (!x.isSuccess()) {
                    ch.close();
                    return;
                }
                ch.eventLoop().schedule(() -> ch.close(), LINGER_SECONDS, TimeUnit.SECONDS);
                ch.config().setAutoRead(true);
            });
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Dropped input has no one to tell.
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
