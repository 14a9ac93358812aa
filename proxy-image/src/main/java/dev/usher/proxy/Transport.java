package dev.usher.proxy;

import dev.usher.proxy.config.ConfigException;
import dev.usher.proxy.config.TransportKind;
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
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.function.Function;

/**
 * The socket I/O of the event loops: io_uring, epoll or Java NIO; the rest of the proxy does not care which.
 * io_uring is preferred because it takes up to a quarter less CPU per proxied request than epoll here
 * (bench/proxy-optimisations.md): reads and writes are submitted and completed through shared rings, so the loop
 * wakes and enters the kernel less often. Container runtimes' default seccomp profiles (containerd 2, Docker) refuse
 * io_uring; {@code auto} then falls back to epoll, and {@link #fallbackReason} says why.
 * Client sockets are made for the family of the address they connect to where the transport allows: Netty's
 * default is an IPv6 socket, which costs one more system call per connection to let it reach IPv4 addresses.
 */
public record Transport(String name, IoHandlerFactory ioHandlers, Class<? extends ServerChannel> serverChannel,
                        Function<SocketProtocolFamily, Channel> socketChannel, String fallbackReason) {

    /** The transport {@code kind} names; an explicit one this host cannot run stops start-up with the reason. */
    public static Transport of(TransportKind kind) {
        return switch (kind) {
            case AUTO -> IoUring.isAvailable() ? ioUring()
                    : Epoll.isAvailable() ? epoll("io_uring: " + reason(IoUring.unavailabilityCause()))
                    : nio("io_uring: " + reason(IoUring.unavailabilityCause())
                            + "; epoll: " + reason(Epoll.unavailabilityCause()));
            case IO_URING -> IoUring.isAvailable() ? ioUring() : unavailable(kind, IoUring.unavailabilityCause());
            case EPOLL -> Epoll.isAvailable() ? epoll(null) : unavailable(kind, Epoll.unavailabilityCause());
            case NIO -> nio(null);
        };
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlers);
    }

    private static Transport ioUring() {
        // Netty's io_uring channel has no constructor for a family: its sockets are dual-stack.
        return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                family -> new IoUringSocketChannel(), null);
    }

    private static Transport epoll(String fallbackReason) {
        return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                EpollSocketChannel::new, fallbackReason);
    }

    private static Transport nio(String fallbackReason) {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                family -> new NioSocketChannel(SelectorProvider.provider(), family), fallbackReason);
    }

    private static Transport unavailable(TransportKind kind, Throwable cause) {
        throw ConfigException.at("transport", kind.key() + " is not available here: " + reason(cause));
    }

    private static String reason(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }
}
