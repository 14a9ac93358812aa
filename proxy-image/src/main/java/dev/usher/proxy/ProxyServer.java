package dev.usher.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.usher.proxy.admin.AdminEndpoints;
import dev.usher.proxy.admin.AdminServer;
import dev.usher.proxy.balancing.Capacity;
import dev.usher.proxy.balancing.LoadBalancer;
import dev.usher.proxy.balancing.SlowStart;
import dev.usher.proxy.balancing.UpstreamPicker;
import dev.usher.proxy.balancing.WaitQueue;
import dev.usher.proxy.config.HostPort;
import dev.usher.proxy.config.ConfigException;
import dev.usher.proxy.config.ProxyConfig;
import dev.usher.proxy.connections.ConnectionPools;
import dev.usher.proxy.discovery.EndpointCondition;
import dev.usher.proxy.discovery.KubernetesSource;
import dev.usher.proxy.discovery.SourceStatus;
import dev.usher.proxy.discovery.StaticSource;
import dev.usher.proxy.discovery.UpstreamSource;
import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.endpoints.UpstreamPool;
import dev.usher.proxy.health.OutlierDetector;
import dev.usher.proxy.http.AccessLog;
import dev.usher.proxy.http.ClientChannelInitializer;
import dev.usher.proxy.http.ConnectionLimit;
import dev.usher.proxy.http.ProxyContext;
import dev.usher.proxy.metrics.ProxyMetrics;
import dev.usher.proxy.protocols.BackendProtocol;
import dev.usher.proxy.protocols.HttpBackend;
import dev.usher.proxy.protocols.uwsgi.UwsgiBackend;
import dev.usher.proxy.retry.RetryBudget;
import dev.usher.proxy.retry.RetryPolicy;
import dev.usher.proxy.warmup.Warmup;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.nio.file.Path;
import java.nio.file.Files;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The running proxy: data-plane listener, admin listener, upstream pool and source, wired from one config. */
public final class ProxyServer implements AdminEndpoints {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How soon waiting requests find room that appeared without an event: a tenth of a second is not noticed. */
    private static final long ROOM_CHECK_MILLIS = 100;

    private final ProxyConfig config;
    private final EventLoopGroup workers;
    private final EventLoopGroup adminLoop;
    private final UpstreamPool pool;
    private final UpstreamSource source;
    private final ProxyMetrics metrics;
    private final ConnectionPools connections;
    private final Capacity capacity;
    private final WaitQueue queue;
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Channel listener;
    private final AdminServer admin;
    /** Null when warmup.requests is 0. */
    private final Warmup warmup;
    private volatile boolean draining;

    private ProxyServer(ProxyConfig config) throws InterruptedException {
        this.config = config;
        Path spill = config.buffering().directory();
        if (config.buffering().request() && !(Files.isDirectory(spill) && Files.isWritable(spill))) {
            // Found now rather than as a 500 on the first body over buffering.memory.
            throw new ConfigException("buffering.directory: " + spill + " is not a writable directory; request bodies"
                    + " over buffering.memory go there");
        }
        pool = new UpstreamPool();
        source = config.upstream().kubernetes() != null
                ? new KubernetesSource(config.upstream().kubernetes())
                : new StaticSource(config.upstream().staticUpstreams());
        // First, before any thread or port is taken: a source that can never work (RBAC forbids the watch)
        // stops start-up here. No connection exists yet, so nothing is missed before the removal listener below.
        source.start(pool);
        Transport transport = Transport.of(config.transport());
        if (transport.fallbackReason() != null) {
            log.info("using the {} transport; not available here: {}", transport.name(), transport.fallbackReason());
        }
        int threads = config.eventLoops() > 0 ? config.eventLoops() : Runtime.getRuntime().availableProcessors();
        workers = transport.newGroup(threads);
        adminLoop = transport.newGroup(1);
        queue = new WaitQueue(config.queue().maxLength());
        metrics = new ProxyMetrics(pool, queue);
        metrics.transportInUse(transport.name());
        BackendProtocol protocol = switch (config.upstream().protocol()) {
            case HTTP -> new HttpBackend(config.limits().maxHeaderSize());
            case UWSGI -> new UwsgiBackend(config.upstream().uwsgi(), config.limits().maxHeaderSize(), config.limits().maxBodySize());
        };
        connections = connectionPools(pool, protocol, transport);
        ProxyContext px = context(config, pool, queue, metrics, new AccessLog(config.accessLog()), protocol, connections);
        capacity = px.capacity();
        if (capacity.limited()) {
            // Room can appear with no slot freed and no request arriving (a new pod, slow start, an ejection's
            // end): looked for here, so that waiting requests do not sit out the time until the next event.
            adminLoop.scheduleAtFixedRate(() -> queue.wakeIfRoom(px.picker()::anyRoom),
                    ROOM_CHECK_MILLIS, ROOM_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        }
        ServerBootstrap bootstrap = new ServerBootstrap();
        if (config.limits().maxConnections() > 0) {
            bootstrap.handler(new ConnectionLimit(config.limits().maxConnections(), metrics));
        }
        listener = bootstrap
                .group(workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ClientChannelInitializer(px, clients))
                .bind(config.listen().toAddress())
                .sync()
                .channel();
        // Before the admin port opens, so that /readyz never answers 200 ahead of it.
        warmup = config.warmup().requests() > 0 ? startWarmup(config, protocol, transport) : null;
        admin = new AdminServer(adminLoop, transport.serverChannel(), config.admin(), this);
        log.info("usher proxy listening on {} (admin {}), {} event loops ({}), {} upstreams via {} ({})",
                address(), adminAddress(), threads, transport.name(), pool.snapshot().ready().size(), source.name(),
                config.upstream().protocol().name().toLowerCase(Locale.ROOT));
    }

    /**
     * Everything a request touches beyond its connection, over {@code pool}: built once for the users' requests and
     * once for the warm-up's, so that the warm-up runs the same classes wired the same way, apart from the users'.
     */
    private static ProxyContext context(ProxyConfig config, UpstreamPool pool, WaitQueue queue, ProxyMetrics metrics,
                                        AccessLog accessLog, BackendProtocol protocol, ConnectionPools connections) {
        OutlierDetector outliers = new OutlierDetector(config.outlierDetection(), System::nanoTime, u -> metrics.ejected());
        SlowStart slowStart = new SlowStart(config.slowStart(), System::nanoTime);
        Capacity capacity = new Capacity(config.upstream().concurrency(), slowStart);
        UpstreamPicker picker = new UpstreamPicker(pool, LoadBalancer.of(config.loadBalancing(), slowStart), outliers, capacity);
        return new ProxyContext(
                config,
                picker,
                capacity,
                queue,
                new RetryPolicy(config.retries().attempts(),
                        new RetryBudget(config.retries().budgetRatio(), config.retries().minRetriesPerSecond(), System::nanoTime)),
                outliers,
                protocol,
                connections,
                metrics,
                accessLog);
    }

    /** Connection pools on the proxy's event loops to {@code upstreams}' members, let go as each leaves. */
    private ConnectionPools connectionPools(UpstreamPool upstreams, BackendProtocol protocol, Transport transport) {
        ConnectionPools pools = new ConnectionPools(workers, transport.socketChannel(), protocol,
                config.timeouts().connect(), config.timeouts().upstreamIdle(), config.maxIdlePerUpstream());
        upstreams.addRemovalListener(pools);
        return pools;
    }

    /** The warm-up's own pool (its stub), queue, meters (unpublished), connection pools and no access log. */
    private Warmup startWarmup(ProxyConfig config, BackendProtocol protocol, Transport transport) {
        UpstreamPool stubPool = UpstreamPool.unlogged();
        WaitQueue stubQueue = new WaitQueue(config.queue().maxLength());
        ConnectionPools stubConnections = connectionPools(stubPool, protocol, transport);
        ProxyContext px = context(config, stubPool, stubQueue, ProxyMetrics.detached(stubPool, stubQueue),
                new AccessLog(false), protocol, stubConnections);
        return Warmup.start(config.warmup(), px, stubPool, workers, transport);
    }

    public static ProxyServer start(ProxyConfig config) throws InterruptedException {
        return new ProxyServer(config);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    /** The live pool: discovery (and tests) change it while the proxy runs. */
    public UpstreamPool pool() {
        return pool;
    }

    /**
     * Graceful stop: readiness goes false, after {@code shutdown.delay} the listener closes, open connections
     * finish the request they carry (up to {@code shutdown.drainTimeout}), then everything closes.
     */
    public void shutdown() {
        draining = true;
        if (warmup != null) {
            warmup.stop();
        }
        Duration delay = config.shutdown().delay();
        log.info("draining: not ready; closing the listener in {} ms", delay.toMillis());
        sleep(delay.toMillis());
        listener.close().syncUninterruptibly();
        ClientChannelInitializer.drain(clients);
        long deadline = System.nanoTime() + config.shutdown().drainTimeout().toNanos();
        while (metrics.activeRequests().get() > 0 && System.nanoTime() - deadline < 0) {
            sleep(10);
        }
        int left = metrics.activeRequests().get();
        if (left > 0) {
            log.warn("drain timeout: closing {} requests still in flight", left);
        }
        clients.close().awaitUninterruptibly();
        try {
            connections.closeAll().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("closing pooled upstream connections: {}", e.toString());
        }
        source.close();
        admin.close();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        adminLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("stopped");
    }

    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean ready() {
        return notReadyReason() == null;
    }

    /** Why {@code /readyz} fails, or null when ready. */
    @Override
    public String notReadyReason() {
        if (draining) {
            return "draining";
        }
        if (warmup != null && !warmup.finished()) {
            return warmup.progress();
        }
        if (!source.status().synced()) {
            return "no upstream list yet from " + source.name() + " discovery";
        }
        if (config.readiness().requireUpstream() && pool.snapshot().ready().isEmpty()) {
            return "no ready upstream";
        }
        return null;
    }

    @Override
    public String metrics() {
        return metrics.scrape();
    }

    @Override
    public String upstreamsJson() {
        SourceStatus status = source.status();
        ObjectNode root = JSON.createObjectNode();
        root.put("source", source.name());
        root.put("synced", status.synced());
        root.put("connected", status.connected());
        root.put("lastSync", status.lastSync() == null ? null : status.lastSync().toString());
        root.put("protocol", config.upstream().protocol().name().toLowerCase(Locale.ROOT));
        root.put("loadBalancing", config.loadBalancing().key());
        if (capacity.limited()) {
            root.put("queued", queue.length());
        }
        ArrayNode list = root.putArray("upstreams");
        long now = System.nanoTime();
        Set<InetSocketAddress> inPool = new HashSet<>();
        for (Upstream u : pool.snapshot().all()) {
            inPool.add(u.address());
            EndpointCondition condition = status.conditions().get(u.address());
            ObjectNode n = list.addObject();
            n.put("address", u.name());
            n.put("condition", condition == null ? null : condition.label());
            n.put("state", u.state().name().toLowerCase(Locale.ROOT));
            n.put("inFlight", u.inFlight());
            if (capacity.limited()) {
                n.put("concurrency", capacity.limit(u));
                n.put("utilisation", capacity.utilisation(u));
            }
            n.put("ejected", u.health().isEjected(now));
            n.put("consecutiveFailures", u.health().consecutiveFailures());
            n.put("ejections", u.health().ejections());
        }
        // Endpoints the source knows but keeps out of the pool (not ready): shown so a missing pod can be explained.
        ArrayNode excluded = root.putArray("notInPool");
        status.conditions().forEach((address, condition) -> {
            if (!inPool.contains(address)) {
                excluded.addObject().put("address", new HostPort(address.getAddress().getHostAddress(), address.getPort()).toString()).put("condition", condition.label());
            }
        });
        return root.toPrettyString() + "\n";
    }
}
