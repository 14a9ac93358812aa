package dev.usher.proxy.balancing;

import dev.usher.proxy.endpoints.Upstream;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** Each upstream in turn. */
final class RoundRobin implements LoadBalancer {
    private final AtomicInteger next = new AtomicInteger();

    @Override
    public Upstream pick(List<Upstream> candidates, Predicate<Upstream> eligible) {
        int n = candidates.size();
        int start = Math.floorMod(next.getAndIncrement(), Math.max(n, 1));
        for (int i = 0; i < n; i++) {
            Upstream u = candidates.get((start + i) % n);
            if (eligible.test(u)) {
                return u;
            }
        }
        return null;
    }
}
