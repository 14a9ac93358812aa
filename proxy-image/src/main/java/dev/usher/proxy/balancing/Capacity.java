package dev.usher.proxy.balancing;

import dev.usher.proxy.endpoints.Upstream;

/**
 * upstream.concurrency: how many requests one upstream takes at once, as a synchronous app server (uWSGI with N
 * processes) can serve N. An upstream in slow start takes a share of that in proportion to its weight, at least one.
 * With no limit (0) every upstream always has room.
 */
public final class Capacity {
    private final int concurrency;
    private final SlowStart slowStart;

    public Capacity(int concurrency, SlowStart slowStart) {
        this.concurrency = concurrency;
        this.slowStart = slowStart;
    }

    public boolean limited() {
        return concurrency > 0;
    }

    /** The requests {@code u} may have in flight now, or 0 for no limit. */
    public int limit(Upstream u) {
        return limited() ? Math.max(1, (int) Math.ceil(concurrency * slowStart.weight(u))) : 0;
    }

    public boolean hasRoom(Upstream u) {
        return !limited() || u.inFlight() < limit(u);
    }

    /** Counts a request on {@code u} if it has room; false when it is full (another loop took the last slot). */
    public boolean tryTake(Upstream u) {
        if (!limited()) {
            u.requestStarted();
            return true;
        }
        return u.tryRequestStarted(limit(u));
    }

    /** In flight over the limit: 1 is full. 0 with no limit. */
    public double utilisation(Upstream u) {
        return limited() ? (double) u.inFlight() / limit(u) : 0.0;
    }
}
