package dev.usher.proxy.endpoints;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Passive-health counters of one upstream. The policy that reads and writes them (when to eject, for how long)
 * is the health package's OutlierDetector; this is only the state, kept with the upstream it describes.
 */
public final class HealthState {
    public static final long NEVER = Long.MIN_VALUE;

    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicInteger ejections = new AtomicInteger();
    private volatile long ejectedUntilNanos = NEVER;

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

    /** Read before write: the success path runs per request and should not dirty a shared cache line. */
    public void succeeded() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
    }

    /** The failures in a row, this one included. */
    public int failed() {
        return consecutiveFailures.incrementAndGet();
    }

    /** Counts a new ejection and clears the failures that led to it; returns which ejection this is (1, 2, ...). */
    public int countEjection() {
        consecutiveFailures.set(0);
        return ejections.incrementAndGet();
    }

    public void ejectUntil(long untilNanos) {
        ejectedUntilNanos = untilNanos;
    }
}
