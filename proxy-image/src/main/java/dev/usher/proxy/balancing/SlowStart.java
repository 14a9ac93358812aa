package dev.usher.proxy.balancing;

import dev.usher.proxy.pool.Upstream;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Weighted ramp-up: an upstream that became active less than {@code window} ago gets a weight that grows
 * linearly from {@value #MIN_WEIGHT} to 1, so a cold JVM or an empty cache is not handed its full share at once.
 */
public final class SlowStart {
    static final double MIN_WEIGHT = 0.1;

    private final long windowNanos;
    private final LongSupplier nanoClock;

    public SlowStart(Duration window, LongSupplier nanoClock) {
        this.windowNanos = window.toNanos();
        this.nanoClock = nanoClock;
    }

    public double weight(Upstream upstream) {
        long since = upstream.activeSinceNanos();
        if (windowNanos <= 0 || since == Long.MIN_VALUE) {
            return 1.0;
        }
        long age = nanoClock.getAsLong() - since;
        if (age >= windowNanos) {
            return 1.0;
        }
        return Math.max(MIN_WEIGHT, (double) age / windowNanos);
    }
}
