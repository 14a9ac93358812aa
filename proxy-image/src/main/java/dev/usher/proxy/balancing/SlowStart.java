package dev.usher.proxy.balancing;

import dev.usher.proxy.endpoints.Upstream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Ramp-up for any balancer, as a wrapper (Armeria's ramping-up strategy has the same shape): an upstream that became
 * active less than {@code window} ago has a weight that grows linearly from {@value #MIN_WEIGHT} to 1, and each
 * pick admits it with that probability. So a cold JVM or an empty cache is not handed its full share at once,
 * whatever the algorithm, and the algorithms themselves know nothing of it.
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

    /** {@code balancer} with ramp-up; the balancer itself when slow start is off. */
    public LoadBalancer around(LoadBalancer balancer) {
        return windowNanos <= 0 ? balancer : new Ramping(balancer);
    }

    private boolean admitted(Upstream upstream) {
        double w = weight(upstream);
        return w >= 1.0 || ThreadLocalRandom.current().nextDouble() < w;
    }

    private final class Ramping implements LoadBalancer {
        private final LoadBalancer delegate;

        Ramping(LoadBalancer delegate) {
            this.delegate = delegate;
        }

        @Override
        public Upstream pick(List<Upstream> candidates, Predicate<Upstream> eligible) {
            Upstream u = delegate.pick(candidates, eligible.and(SlowStart.this::admitted));
            // An upstream still ramping up is used rather than none, when it is the only one eligible.
            return u != null ? u : delegate.pick(candidates, eligible);
        }
    }
}
