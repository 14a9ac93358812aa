package dev.usher.proxy.http;

import dev.usher.proxy.http.validation.RequestDecoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline of each client connection: request decoder (the proxy's own, with its head checks and deadline: heads
 * come out as a {@code RequestHead}, a copy of their bytes, whose lines go upstream as they came), idle timeout, and
 * the proxying handler. Not Netty's HttpServerCodec: its decoder cannot be given the checks, builds a header map per
 * request, and resets a connection with more than 128 pipelined requests. No response encoder: responses are written
 * as bytes ({@link ResponseHeadWriter}, {@link BodyFraming}, {@link ErrorResponses}), a backend's lines forwarded as
 * they came.
 */
public final class ClientChannelInitializer extends ChannelInitializer<Channel> {

    private static final int DEFAULT_HIGH_WATER_MARK = WriteBufferWaterMark.DEFAULT.high();

    private final ProxyContext px;
    private final ChannelGroup clients;

    public ClientChannelInitializer(ProxyContext px, ChannelGroup clients) {
        this.px = px;
        this.clients = clients;
    }

    @Override
    protected void initChannel(Channel ch) {
        clients.add(ch);
        long responseBuffer = px.config().buffering().response();
        if (responseBuffer > 0) {
            // Upstream reading pauses when the client's unsent bytes pass the high mark: raising it to the response
            // buffer lets a whole answer that size be read, so its upstream slot is free while the client reads.
            int high = (int) Math.min(Integer.MAX_VALUE, Math.max(responseBuffer, DEFAULT_HIGH_WATER_MARK));
            ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(high / 2, high));
        }
        var limits = px.config().limits();
        ch.pipeline()
                .addLast(new RequestDecoder(limits.maxInitialLineLength(), limits.maxHeaderSize(), px.config().timeouts().requestHead()))
                // Reader idle only: tracking writes would cost a promise and a listener per write, and a client
                // that is being sent a long response is not idle (ClientHandler ignores the event then).
                .addLast(new IdleStateHandler(px.config().timeouts().idle().toMillis(), 0, 0, TimeUnit.MILLISECONDS))
                .addLast(new ClientHandler(px));
    }

    /** Tells every open client connection that the proxy is draining: idle ones close, busy ones close after their response. */
    public static void drain(ChannelGroup clients) {
        clients.forEach(ch -> ch.pipeline().fireUserEventTriggered(ClientHandler.DRAIN));
    }
}
