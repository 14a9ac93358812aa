package dev.usher.proxy.endpoints;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend in the pool, shared by all event loops. In-flight counts and health are atomics because requests
 * on every loop update them; the state changes only under the pool's lock.
 */
public final class Upstream {

    public enum State {
        /** Takes new requests. */
        ACTIVE,
        /** Fenced: finishes what it has, takes nothing new. */
        DRAINING,
        /** Gone from discovery: finishes what it has; its connections close as they come back. */
        REMOVED
    }

    private final InetSocketAddress address;
    private final String name;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final HealthState health = new HealthState();
    private volatile State state;
    private volatile long activeSinceNanos;

    Upstream(InetSocketAddress address, State state, long activeSinceNanos) {
        this.address = address;
        this.name = address.getAddress() instanceof java.net.Inet6Address
                ? "[" + address.getHostString() + "]:" + address.getPort()
                : address.getHostString() + ":" + address.getPort();
        this.state = state;
        this.activeSinceNanos = activeSinceNanos;
    }

    public InetSocketAddress address() {
        return address;
    }

    public String name() {
        return name;
    }

    public State state() {
        return state;
    }

    void state(State next, long nowNanos) {
        if (next == State.ACTIVE && state != State.ACTIVE) {
            activeSinceNanos = nowNanos;
        }
        state = next;
    }

    public boolean isActive() {
        return state == State.ACTIVE;
    }

    /** When it last became active; {@link Long#MIN_VALUE} for upstreams that were there from the start (no slow start). */
    public long activeSinceNanos() {
        return activeSinceNanos;
    }

    public int inFlight() {
        return inFlight.get();
    }

    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    /** Takes one of {@code limit} slots, or none when all are taken: a check and an increment as one step. */
    public boolean tryRequestStarted(int limit) {
        int n;
        do {
            n = inFlight.get();
            if (n >= limit) {
                return false;
            }
        } while (!inFlight.compareAndSet(n, n + 1));
        return true;
    }

    public void requestFinished() {
        inFlight.decrementAndGet();
    }

    public HealthState health() {
        return health;
    }

    @Override
    public String toString() {
        return name;
    }
}
