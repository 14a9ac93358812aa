package dev.usher.proxy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.function.Function;

/**
 * Native epoll on Linux when its library loads, Java NIO elsewhere; the rest of the proxy does not care which.
 * Client sockets are made for the family of the address they connect to: Netty's default is an IPv6 socket, which
 * costs one more system call per connection to let it reach IPv4 addresses.
 */
public record Transport(String name, IoHandlerFactory ioHandlers, Class<? extends ServerChannel> serverChannel,
                        Function<SocketProtocolFamily, Channel> socketChannel) {

    public static Transport best() {
        if (Epoll.isAvailable()) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel::new);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                family -> new NioSocketChannel(SelectorProvider.provider(), family));
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlers);
    }
}
