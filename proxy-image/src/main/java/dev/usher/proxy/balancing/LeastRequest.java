package dev.usher.proxy.balancing;

import dev.usher.proxy.endpoints.Upstream;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Power of two choices: sample two upstreams, send to the one with fewer requests in flight.
 * Nearly as good as a full least-loaded scan, at constant cost and without herding onto one upstream.
 */
final class LeastRequest implements LoadBalancer {
    private static final int SAMPLE_TRIES = 4;

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
        int a = sample(candidates, eligible, random, -1);
        if (a < 0) {
            return scan(candidates, eligible);
        }
        int b = sample(candidates, eligible, random, a);
        if (b < 0) {
            return candidates.get(a);
        }
        Upstream ua = candidates.get(a);
        Upstream ub = candidates.get(b);
        return ub.inFlight() < ua.inFlight() ? ub : ua;
    }

    /** A random eligible index other than {@code other}: two distinct samples, or with two upstreams half the picks would be blind. */
    private static int sample(List<Upstream> candidates, Predicate<Upstream> eligible, ThreadLocalRandom random, int other) {
        int n = candidates.size();
        for (int i = 0; i < SAMPLE_TRIES; i++) {
            int k = other < 0 ? random.nextInt(n) : random.nextInt(n - 1);
            if (other >= 0 && k >= other) {
                k++;
            }
            if (eligible.test(candidates.get(k))) {
                return k;
            }
        }
        return -1;
    }

    /** When random samples keep hitting ineligible upstreams (most are tried or ejected), look at every one. */
    private static Upstream scan(List<Upstream> candidates, Predicate<Upstream> eligible) {
        Upstream best = null;
        for (Upstream u : candidates) {
            if (eligible.test(u) && (best == null || u.inFlight() < best.inFlight())) {
                best = u;
            }
        }
        return best;
    }
}
