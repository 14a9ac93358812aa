package dev.usher.proxy.connections;

import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.protocols.BackendProtocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Idle upstream connections of one event loop. Only that loop touches it, so it needs no locks, and a request
 * always gets a connection that lives on its own client connection's loop: no cross-thread hand-off.
 */
public final class ConnectionPool {
    private final EventLoop loop;
    private final Function<SocketProtocolFamily, Channel> channels;
    private final int connectTimeoutMillis;
    private final long idleMillis;
    private final int maxIdlePerUpstream;
    private final BackendProtocol protocol;
    private final Map<Upstream, ArrayDeque<Channel>> idle = new HashMap<>();

    ConnectionPool(EventLoop loop, Function<SocketProtocolFamily, Channel> channels, BackendProtocol protocol,
                   Duration connectTimeout, Duration idleTimeout, int maxIdlePerUpstream) {
        this.loop = loop;
        this.channels = channels;
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        this.idleMillis = idleTimeout.toMillis();
        this.protocol = protocol;
        this.maxIdlePerUpstream = maxIdlePerUpstream;
    }

    public EventLoop loop() {
        return loop;
    }

    /** A pooled connection if one is alive (most recently used first, it is the warmest), else a new one. */
    public ChannelFuture acquire(Upstream upstream) {
        ArrayDeque<Channel> channels = idle.get(upstream);
        if (channels != null) {
            Channel ch;
            while ((ch = channels.pollLast()) != null) {
                if (ch.isActive()) {
                    return ch.newSucceededFuture();
                }
            }
        }
        return connect(upstream);
    }

    /**
     * A new connection, set up here rather than by a {@code Bootstrap}: a uwsgi backend takes one per request, and
     * Bootstrap's work per connect (its options copied and applied, a ChannelInitializer added and removed, a
     * resolver looked up, the connect put off to a task) was a measurable share of the proxy's CPU. TCP_NODELAY
     * needs no call: Netty's socket channels set it when they are made.
     */
    private ChannelFuture connect(Upstream upstream) {
        InetSocketAddress address = upstream.address();
        if (address.isUnresolved()) {
            // A name that did not resolve when the upstream was listed: tried again, as Bootstrap's resolver did.
            address = new InetSocketAddress(address.getHostString(), address.getPort());
        }
        Channel ch = channels.apply(address.getAddress() instanceof Inet6Address
                ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET);
        ch.config().setConnectTimeoutMillis(connectTimeoutMillis);
        ChannelPipeline pipeline = ch.pipeline();
        protocol.addCodec(pipeline);
        // Reader idle only: tracking writes would cost a promise and a listener per write.
        pipeline.addLast(new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
        pipeline.addLast(new UpstreamHandler());
        // Notified on this pool's loop even if the channel never gets one: a channel whose registration failed has none.
        ChannelPromise connect = new DefaultChannelPromise(ch, loop);
        // On this pool's own loop, the registration is done when register returns.
        InetSocketAddress remote = address;
        loop.register(ch).addListener(registered -> {
            if (registered.isSuccess()) {
                connect.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                ch.connect(remote, connect);
            } else {
                // As Bootstrap does: an unregistered channel cannot go through the pipeline's close.
                ch.unsafe().closeForcibly();
                connect.tryFailure(registered.cause());
            }
        });
        if (protocol.reusesConnections()) {
            // A pooled connection the backend closes must leave the pool at once, not be found dead later.
            ch.closeFuture().addListener(f -> forget(upstream, ch));
        }
        return connect;
    }

    /** Gives a connection back after an exchange; closes it when it cannot carry another request. */
    public void release(Upstream upstream, Channel ch, boolean reusable) {
        if (!reusable || !protocol.reusesConnections() || !upstream.isActive() || !ch.isActive()) {
            ch.close();
            return;
        }
        ArrayDeque<Channel> channels = idle.computeIfAbsent(upstream, u -> new ArrayDeque<>());
        if (channels.size() >= maxIdlePerUpstream) {
            ch.close();
            return;
        }
        ch.config().setAutoRead(true);
        channels.addLast(ch);
    }

    /** Closes the idle connections to an upstream that left the pool; busy ones close when released. */
    void closeIdle(Upstream upstream) {
        ArrayDeque<Channel> channels = idle.remove(upstream);
        if (channels != null) {
            channels.forEach(Channel::close);
        }
    }

    void closeAll() {
        // Copied first: closing a channel runs its close listener, which edits the pool, right here.
        List<Channel> all = idle.values().stream().flatMap(ArrayDeque::stream).toList();
        idle.clear();
        all.forEach(Channel::close);
    }

    private void forget(Upstream upstream, Channel ch) {
        ArrayDeque<Channel> channels = idle.get(upstream);
        if (channels != null) {
            channels.remove(ch);
            if (channels.isEmpty()) {
                idle.remove(upstream);
            }
        }
    }
}
