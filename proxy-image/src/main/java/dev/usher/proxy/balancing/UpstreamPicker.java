package dev.usher.proxy.balancing;

import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.endpoints.UpstreamPool;
import dev.usher.proxy.health.OutlierDetector;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

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

    /** Whether {@link #pick} would find an upstream now: one it may use (not ejected, outside a panic) with room. */
    public boolean anyRoom() {
        List<Upstream> ready = pool.snapshot().ready();
        Predicate<Upstream> usable = usable(ready);
        for (Upstream u : ready) {
            if (usable.test(u)) {
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
        Predicate<Upstream> usable = usable(ready);
        Upstream u = balancer.pick(ready, c -> !tried.contains(c) && usable.test(c));
        if (u == null && !tried.isEmpty()) {
            // Every eligible upstream was tried: a fresh connection to one of them beats failing the request.
            u = balancer.pick(ready, usable);
        }
        return u;
    }

    /** Not ejected (unless so many are that all are used), and with room. */
    private Predicate<Upstream> usable(List<Upstream> ready) {
        boolean skipEjected = outliers.anyEjected() && !panic(ready);
        return c -> !(skipEjected && outliers.isEjected(c)) && capacity.hasRoom(c);
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
