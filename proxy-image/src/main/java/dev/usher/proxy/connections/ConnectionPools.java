package dev.usher.proxy.connections;

import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.endpoints.UpstreamPool;
import dev.usher.proxy.protocols.BackendProtocol;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** One {@link ConnectionPool} per event loop, and the chores that touch all of them. */
public final class ConnectionPools implements UpstreamPool.RemovalListener {
    private final Map<EventExecutor, ConnectionPool> byLoop = new IdentityHashMap<>();

    public ConnectionPools(EventLoopGroup group, Function<SocketProtocolFamily, Channel> channels, BackendProtocol protocol,
                           Duration connectTimeout, Duration idleTimeout, int maxIdlePerUpstream) {
        for (EventExecutor executor : group) {
            EventLoop loop = (EventLoop) executor;
            byLoop.put(loop, new ConnectionPool(loop, channels, protocol, connectTimeout, idleTimeout, maxIdlePerUpstream));
        }
    }

    /** The pool of the loop a client connection lives on. */
    public ConnectionPool of(EventLoop loop) {
        return byLoop.get(loop);
    }

    @Override
    public void removed(Upstream upstream) {
        byLoop.values().forEach(p -> p.loop().execute(() -> p.closeIdle(upstream)));
    }

    public CompletableFuture<Void> closeAll() {
        CompletableFuture<?>[] done = byLoop.values().stream()
                .map(p -> {
                    CompletableFuture<Void> f = new CompletableFuture<>();
                    p.loop().execute(() -> {
                        p.closeAll();
                        f.complete(null);
                    });
                    return f;
                })
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(done);
    }
}
