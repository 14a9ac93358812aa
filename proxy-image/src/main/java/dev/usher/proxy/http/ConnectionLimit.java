package dev.usher.proxy.http;

import dev.usher.proxy.metrics.ProxyMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code limits.maxConnections} on the listener: at the limit the proxy stops accepting (new clients wait in the
 * kernel's backlog) and keeps serving the connections it has; it accepts again as soon as one closes. The first time
 * is logged at WARN, later ones at DEBUG (a busy proxy would log it on every accept); every time is counted in
 * {@code usher_connection_limit_reached_total}.
 */
@ChannelHandler.Sharable
public final class ConnectionLimit extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimit.class);

    private final int max;
    private final ProxyMetrics metrics;
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean paused;
    private boolean warned;

    public ConnectionLimit(int max, ProxyMetrics metrics) {
        this.max = max;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Channel child) {
            Channel server = ctx.channel();
            child.closeFuture().addListener(f -> {
                if (open.decrementAndGet() < max && paused) {
                    server.eventLoop().execute(() -> resume(server));
                }
            });
            if (open.incrementAndGet() >= max && !paused) {
                paused = true;
                server.config().setAutoRead(false);
                metrics.connectionLimitReached();
                if (warned) {
                    log.debug("{} client connections open again: not accepting until one closes", max);
                } else {
                    warned = true;
                    log.warn("{} client connections open (limits.maxConnections): not accepting until one closes", max);
                }
                // One may have closed before paused was set, its listener seeing nothing to resume.
                resume(server);
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void resume(Channel server) {
        if (paused && open.get() < max) {
            paused = false;
            server.config().setAutoRead(true);
            log.debug("accepting client connections again");
        }
    }
}
