package dev.usher.proxy.health;

import java.util.concurrent.atomic.AtomicInteger;

/** Passive-health counters of one upstream; the policy that reads and writes them is {@link OutlierDetector}. */
public final class HealthState {
    final AtomicInteger consecutiveFailures = new AtomicInteger();
    final AtomicInteger ejections = new AtomicInteger();
    static final long NEVER = Long.MIN_VALUE;

    volatile long ejectedUntilNanos = NEVER;

    public boolean isEjected(long nowNanos) {
        long until = ejectedUntilNanos;
        return until != NEVER && nowNanos - until < 0;
    }

    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    public int ejections() {
        return ejections.get();
    }
}
