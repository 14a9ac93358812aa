package dev.usher.proxy.connections;

import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.protocols.BackendProtocol;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Idle upstream connections of one event loop. Only that loop touches it, so it needs no locks, and a request
 * always gets a connection that lives on its own client connection's loop: no cross-thread hand-off.
 */
public final class ConnectionPool {
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final int maxIdlePerUpstream;
    private final BackendProtocol protocol;
    private final Map<Upstream, ArrayDeque<Channel>> idle = new HashMap<>();

    ConnectionPool(EventLoop loop, Class<? extends Channel> channelType, BackendProtocol protocol,
                   Duration connectTimeout, Duration idleTimeout, int maxIdlePerUpstream) {
        this.loop = loop;
        this.protocol = protocol;
        this.maxIdlePerUpstream = maxIdlePerUpstream;
        long idleMillis = idleTimeout.toMillis();
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        protocol.addCodec(ch.pipeline());
                        // Reader idle only: tracking writes would cost a promise and a listener per write.
                        ch.pipeline().addLast(new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast(new UpstreamHandler());
                    }
                });
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
        ChannelFuture connect = bootstrap.connect(upstream.address());
        // A pooled connection the backend closes must leave the pool at once, not be found dead later.
        connect.channel().closeFuture().addListener(f -> forget(upstream, connect.channel()));
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
