package dev.usher.proxy.balancing;

import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.endpoints.UpstreamPool;
import dev.usher.proxy.health.OutlierDetector;
import java.util.List;
import java.util.Set;

/**
 * Picks an upstream for one attempt: from the pool's ready upstreams that have room ({@link Capacity}), skipping
 * ejected ones (unless so many are ejected that the panic threshold says to use all), and preferring ones this
 * request has not tried yet.
 */
public final class UpstreamPicker {
    private final UpstreamPool pool;
    private final LoadBalancer balancer;
    private final OutlierDetector outliers;
    private final Capacity capacity;

    public UpstreamPicker(UpstreamPool pool, LoadBalancer balancer, OutlierDetector outliers, Capacity capacity) {
        this.pool = pool;
        this.balancer = balancer;
        this.outliers = outliers;
        this.capacity = capacity;
    }

    /** Whether the pool has a ready upstream at all: when it has, but none has room, a request waits. */
    public boolean anyReady() {
        return !pool.snapshot().ready().isEmpty();
    }

    /** Whether some ready upstream has room now. */
    public boolean anyRoom() {
        for (Upstream u : pool.snapshot().ready()) {
            if (capacity.hasRoom(u)) {
                return true;
            }
        }
        return false;
    }

    /** Null when the pool has no ready upstream with room. */
    public Upstream pick(Set<Upstream> tried) {
        List<Upstream> ready = pool.snapshot().ready();
        if (ready.isEmpty()) {
            return null;
        }
        boolean skipEjected = outliers.anyEjected() && !panic(ready);
        Upstream u = balancer.pick(ready, c -> !tried.contains(c) && !(skipEjected && outliers.isEjected(c)) && capacity.hasRoom(c));
        if (u == null && !tried.isEmpty()) {
            // Every eligible upstream was tried: a fresh connection to one of them beats failing the request.
            u = balancer.pick(ready, c -> !(skipEjected && outliers.isEjected(c)) && capacity.hasRoom(c));
        }
        return u;
    }

    private boolean panic(List<Upstream> ready) {
        int healthy = 0;
        for (Upstream u : ready) {
            if (!outliers.isEjected(u)) {
                healthy++;
            }
        }
        return healthy * 100 < outliers.panicThresholdPercent() * ready.size();
    }
}
