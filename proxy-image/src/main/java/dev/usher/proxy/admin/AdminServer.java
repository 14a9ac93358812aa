package dev.usher.proxy.admin;

import dev.usher.proxy.config.HostPort;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;

/**
 * The admin listener: {@code /healthz}, {@code /readyz}, {@code /metrics}, {@code /upstreams}. It has its own
 * thread so that probes are answered even while the data plane is saturated.
 */
public final class AdminServer {
    private final Channel channel;

    public AdminServer(EventLoopGroup group, Class<? extends ServerChannel> channelType, HostPort address,
                       AdminEndpoints endpoints) throws InterruptedException {
        channel = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpObjectAggregator(8192))
                                .addLast(new AdminHandler(endpoints));
                    }
                })
                .bind(address.toAddress())
                .sync()
                .channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public void close() {
        channel.close().syncUninterruptibly();
    }
}
