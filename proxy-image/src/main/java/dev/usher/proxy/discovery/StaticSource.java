package dev.usher.proxy.discovery;

import dev.usher.proxy.config.HostPort;
import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.endpoints.UpstreamPool;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A fixed list of upstreams from config or flags, for running outside a cluster. */
public final class StaticSource implements UpstreamSource {
    private final List<HostPort> upstreams;
    private volatile SourceStatus status = new SourceStatus(false, false, null, Map.of());

    public StaticSource(List<HostPort> upstreams) {
        this.upstreams = List.copyOf(upstreams);
    }

    @Override
    public String name() {
        return "static";
    }

    @Override
    public void start(UpstreamPool pool) {
        Map<InetSocketAddress, EndpointCondition> conditions = new LinkedHashMap<>();
        upstreams.forEach(hp -> conditions.put(hp.toAddress(), EndpointCondition.READY));
        pool.update(conditions.keySet().stream().map(a -> new Endpoint(a, true)).toList());
        status = new SourceStatus(true, true, Instant.now(), conditions);
    }

    @Override
    public SourceStatus status() {
        return status;
    }

    @Override
    public void close() {}
}
