package dev.usher.proxy.balancing;

import dev.usher.proxy.pool.Upstream;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Power of two choices: sample two upstreams, send to the one with fewer requests in flight per unit of weight.
 * Nearly as good as a full least-loaded scan, at constant cost and without herding onto one upstream.
 */
final class LeastRequest implements LoadBalancer {
    private static final int SAMPLE_TRIES = 4;

    private final SlowStart slowStart;

    LeastRequest(SlowStart slowStart) {
        this.slowStart = slowStart;
    }

    @Override
    public Upstream pick(List<Upstream> candidates, Predicate<Upstream> eligible) {
        int n = candidates.size();
        if (n == 0) {
            return null;
        }
        if (n == 1) {
            Upstream only = candidates.get(0);
            return eligible.test(only) ? only : null;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Upstream a = sample(candidates, eligible, random);
        if (a == null) {
            return scan(candidates, eligible);
        }
        Upstream b = sample(candidates, eligible, random);
        if (b == null || b == a) {
            return a;
        }
        return load(b) < load(a) ? b : a;
    }

    private static Upstream sample(List<Upstream> candidates, Predicate<Upstream> eligible, ThreadLocalRandom random) {
        for (int i = 0; i < SAMPLE_TRIES; i++) {
            Upstream u = candidates.get(random.nextInt(candidates.size()));
            if (eligible.test(u)) {
                return u;
            }
        }
        return null;
    }

    /** When random samples keep hitting ineligible upstreams (most are tried or ejected), look at every one. */
    private Upstream scan(List<Upstream> candidates, Predicate<Upstream> eligible) {
        Upstream best = null;
        for (Upstream u : candidates) {
            if (eligible.test(u) && (best == null || load(u) < load(best))) {
                best = u;
            }
        }
        return best;
    }

    private double load(Upstream u) {
        return (u.inFlight() + 1) / slowStart.weight(u);
    }
}
