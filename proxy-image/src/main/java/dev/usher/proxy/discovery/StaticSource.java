package dev.usher.proxy.discovery;

import dev.usher.proxy.config.HostPort;
import dev.usher.proxy.pool.Endpoint;
import dev.usher.proxy.pool.UpstreamPool;
import java.util.List;

/** A fixed list of upstreams from config or flags, for running outside a cluster. */
public final class StaticSource implements UpstreamSource {
    private final List<HostPort> upstreams;

    public StaticSource(List<HostPort> upstreams) {
        this.upstreams = List.copyOf(upstreams);
    }

    @Override
    public String name() {
        return "static";
    }

    @Override
    public void start(UpstreamPool pool) {
        pool.update(upstreams.stream().map(hp -> new Endpoint(hp.toAddress(), true)).toList());
    }

    @Override
    public void close() {}
}
