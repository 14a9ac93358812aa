package dev.usher.proxy.warmup;

import dev.usher.proxy.Transport;
import dev.usher.proxy.config.ProxyConfig;
import dev.usher.proxy.config.UpstreamConfig.BackendProtocolName;
import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.endpoints.UpstreamPool;
import dev.usher.proxy.http.ClientChannelInitializer;
import dev.usher.proxy.http.ProxyContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's warm-up: before it reports ready, it sends {@code warmup.requests} requests through its own request
 * path (the client pipeline, the exchange, the connection pool, the backend protocol's codec), over loopback
 * sockets, to a stub backend in this process, so that the JIT has compiled that path before real clients come.
 *
 * <p>The requests go through a {@link ProxyContext} of their own, whose only upstream is the stub: the user's pool,
 * outlier detector, retry budget, meters and access log never see them. They run on the proxy's event loops, one
 * listener per loop, so that every loop's code and buffers are exercised; the stub, the acceptors and the clients run
 * on one thread of the warm-up's own, stopped at the end. A warm-up that cannot run, fails, or passes
 * {@code warmup.timeout} logs one line and the proxy is ready all the same.
 */
public final class Warmup {
    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    /** Client connections per event loop: several requests in hand at once on each loop, as under load. */
    private static final int CONNECTIONS_PER_LOOP = 8;
    /** One request in this many has a small body (a form post); the rest are keep-alive GETs. */
    private static final int BODY_EVERY = 4;
    /**
     * At the end, how long the requests in flight (a few, each taking a millisecond) get to be answered before
     * the connections close under them: cut short, they would be 502s in the proxy's log.
     */
    private static final long LAST_ANSWERS_MILLIS = 1000;

    private final int requests;
    private final EventLoopGroup group;
    /** The group's one thread. */
    private final EventLoop thread;
    /** Every channel of the warm-up, its proxy side too; one added after the end is closed at once. */
    private final ChannelGroup channels = new DefaultChannelGroup("warmup", GlobalEventExecutor.INSTANCE, true);
    private final ProxyContext px;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final long startNanos = System.nanoTime();
    private Bootstrap clients;
    private volatile int loops;
    // The fields below are the warm-up thread's alone.
    private boolean ending;
    private boolean closing;
    private int sent;
    private int inFlight;
    private volatile int answered;

    private Warmup(int requests, EventLoopGroup group, ProxyContext px) {
        this.requests = requests;
        this.group = group;
        this.thread = group.next();
        this.px = px;
    }

    /**
     * Starts the warm-up and returns at once. {@code px} is the warm-up's own context over {@code stubPool}, an empty
     * pool that gets the stub as its upstream; {@code workers} are the proxy's event loops.
     */
    public static Warmup start(ProxyConfig.Warmup settings, ProxyContext px, UpstreamPool stubPool,
                               EventLoopGroup workers, Transport transport) {
        Warmup warmup = new Warmup(settings.requests(), transport.newGroup(1), px);
        warmup.thread.schedule(() -> warmup.end("timed out after " + settings.timeout().toMillis() + " ms", false),
                settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        try {
            warmup.run(px.config().upstream().protocol(), stubPool, workers, transport);
        } catch (Exception e) {
            warmup.end("could not start: " + e, true);
        }
        return warmup;
    }

    private void run(BackendProtocolName protocol, UpstreamPool stubPool, EventLoopGroup workers, Transport transport)
            throws InterruptedException {
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        Channel stub = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast(protocol == BackendProtocolName.UWSGI ? new UwsgiStub() : new HttpStub());
                    }
                })
                .bind(loopback).sync().channel();
        channels.add(stub);
        stubPool.update(List.of(new Endpoint((InetSocketAddress) stub.localAddress(), true)));

        // Its listeners are on 127.0.0.1: IPv4 sockets, as the proxy makes for IPv4 upstreams.
        ChannelFactory<Channel> ipv4 = () -> transport.socketChannel().apply(SocketProtocolFamily.INET);
        clients = new Bootstrap().group(group).channelFactory(ipv4).option(ChannelOption.TCP_NODELAY, true);
        ClientChannelInitializer proxySide = new ClientChannelInitializer(px, channels);
        List<Requests> targets = new ArrayList<>();
        for (EventExecutor executor : workers) {
            // A listener whose connections all live on this loop: every loop gets its share, whatever else connects.
            loops++;
            Channel listener = new ServerBootstrap()
                    .group(group, (EventLoop) executor)
                    .channel(transport.serverChannel())
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(proxySide)
                    .bind(loopback).sync().channel();
            channels.add(listener);
            targets.add(new Requests((InetSocketAddress) listener.localAddress()));
        }
        thread.execute(() -> {
            for (Requests to : targets) {
                for (int i = 0; i < CONNECTIONS_PER_LOOP; i++) {
                    connect(to);
                }
            }
        });
    }

    /** A new client connection to one listener, unless it has ended; on the warm-up's thread. */
    private void connect(Requests to) {
        if (ending) {
            return;
        }
        ChannelFuture connect = clients.clone().handler(new WarmupClient(to)).connect(to.address);
        channels.add(connect.channel());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                end("could not connect to its listener: " + f.cause(), true);
            }
        });
    }

    /** The requests sent to one listener, with its address as their Host. */
    private final class Requests implements WarmupClient.Driver {
        private final InetSocketAddress address;
        private final byte[] get;
        /** Null when limits.maxBodySize is under its body: GETs alone then, rather than refusals. */
        private final byte[] post;

        Requests(InetSocketAddress address) {
            this.address = address;
            String host = address.getHostString() + ":" + address.getPort();
            String common = "Host: " + host + "\r\n"
                    + "User-Agent: usher-warmup\r\n"
                    + "Accept: */*\r\n";
            this.get = ("GET /warmup?page=1 HTTP/1.1\r\n" + common + "\r\n").getBytes(StandardCharsets.US_ASCII);
            String form = "name=usher&purpose=warm-up&" + "x".repeat(24);
            byte[] withBody = ("POST /warmup HTTP/1.1\r\n" + common
                    + "Content-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: " + form.length() + "\r\n\r\n" + form).getBytes(StandardCharsets.US_ASCII);
            this.post = form.length() <= px.config().limits().maxBodySize() ? withBody : null;
        }

        @Override
        public byte[] next() {
            if (ending || sent >= requests) {
                return null;
            }
            inFlight++;
            return ++sent % BODY_EVERY == 0 && post != null ? post : get;
        }

        @Override
        public void answered() {
            inFlight--;
            if (++answered == requests) {
                endOnLoop(null, false);
            } else if (ending && inFlight == 0) {
                close();
            }
        }

        @Override
        public void failed(String why) {
            inFlight--;
            endOnLoop("a request failed: " + why, true);
            if (inFlight == 0) {
                close();
            }
        }

        @Override
        public void closedBetweenRequests() {
            if (!ending && sent < requests) {
                connect(this);
            }
        }
    }

    /** Whether it has ended (done, failed, timed out or stopped) and cleaned up after itself. */
    public boolean finished() {
        return done.isDone();
    }

    /** For {@code /readyz} meanwhile. */
    public String progress() {
        return "warming up: " + answered + " of " + requests + " requests";
    }

    /** Ends it now, for a shutdown that comes first; returns once its connections and thread are closed. */
    public void stop() {
        end("stopped: the proxy is shutting down", false);
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("warm-up: not cleaned up after 5 s: {}", e.toString());
        }
    }

    /**
     * Ends it once, for whatever reason comes first: {@code early} null when every request was answered. A fault
     * (a request the proxy did not answer 200, a socket that could not be had) is a warning; the timeout and a
     * shutdown are what they were configured to do.
     */
    private void end(String early, boolean fault) {
        if (thread.inEventLoop()) {
            endOnLoop(early, fault);
            return;
        }
        try {
            thread.execute(() -> endOnLoop(early, fault));
        } catch (RejectedExecutionException e) {
            // Its thread is stopping: it has ended already.
        }
    }

    private void endOnLoop(String early, boolean fault) {
        if (ending) {
            return;
        }
        ending = true;
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        String what = String.format(Locale.ROOT, "%d of %d requests through %s on %d event loops in %d ms", answered,
                requests, px.config().upstream().protocol().name().toLowerCase(Locale.ROOT), loops, millis);
        if (early == null) {
            log.info("warm-up: {}", what);
        } else if (fault) {
            log.warn("warm-up failed, ready all the same: {}; {}", early, what);
        } else {
            log.info("warm-up: {}; {}, ready all the same", what, early);
        }
        if (inFlight == 0) {
            close();
        } else {
            thread.schedule(this::close, LAST_ANSWERS_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Closes every connection, the stub's and the pooled ones to it, then the warm-up's thread. */
    private void close() {
        if (closing) {
            return;
        }
        closing = true;
        channels.close().addListener(closed -> px.connections().closeAll().whenComplete((v, e) ->
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).addListener(stopped -> done.complete(null))));
    }
}
