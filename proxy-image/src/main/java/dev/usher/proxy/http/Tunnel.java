package dev.usher.proxy.http;

import dev.usher.proxy.connections.UpstreamHandler;
import dev.usher.proxy.http.validation.RequestDecoder;
import dev.usher.proxy.protocols.BackendProtocol;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * What a connection pair becomes after a {@code 101 Switching Protocols}: a raw byte relay, one {@code Tunnel}
 * handler each way. Whatever arrives is written to the peer channel; reading pauses while the peer cannot take more.
 */
final class Tunnel extends ChannelInboundHandlerAdapter {
    private final Channel peer;

    private Tunnel(Channel peer) {
        this.peer = peer;
    }

    /**
     * Takes the HTTP handlers out of both pipelines and relays from then on. {@code clientCtx} is the client
     * handler's context. The tunnel handlers go in before the decoders go out: bytes a decoder still holds are fired
     * on raw when it is removed, and must reach the tunnel.
     */
    static void join(ChannelHandlerContext clientCtx, Channel upstream, BackendProtocol protocol) {
        Channel client = clientCtx.channel();
        ChannelPipeline clientPipeline = clientCtx.pipeline();
        upstream.pipeline().replace(UpstreamHandler.class, "tunnel", new Tunnel(client));
        protocol.removeCodecForTunnel(upstream.pipeline());
        clientPipeline.replace(clientCtx.handler(), "tunnel", new Tunnel(upstream));
        clientPipeline.remove(RequestDecoder.class);
        upstream.config().setAutoRead(true);
        client.config().setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        peer.write(msg, peer.voidPromise());
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        peer.config().setAutoRead(ctx.channel().isWritable());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeAfterFlush(peer);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            closeAfterFlush(peer);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
        closeAfterFlush(peer);
    }

    private static void closeAfterFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
