package dev.usher.proxy.balancing;

import dev.usher.proxy.pool.Upstream;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** Each upstream in turn; an upstream in slow start is skipped with probability 1 - weight. */
final class RoundRobin implements LoadBalancer {
    private final AtomicInteger next = new AtomicInteger();
    private final SlowStart slowStart;

    RoundRobin(SlowStart slowStart) {
        this.slowStart = slowStart;
    }

    @Override
    public Upstream pick(List<Upstream> candidates, Predicate<Upstream> eligible) {
        int n = candidates.size();
        int start = Math.floorMod(next.getAndIncrement(), Math.max(n, 1));
        Upstream fallback = null;
        for (int i = 0; i < n; i++) {
            Upstream u = candidates.get((start + i) % n);
            if (!eligible.test(u)) {
                continue;
            }
            double w = slowStart.weight(u);
            if (w >= 1.0 || ThreadLocalRandom.current().nextDouble() < w) {
                return u;
            }
            if (fallback == null) {
                fallback = u;
            }
        }
        return fallback;
    }
}
