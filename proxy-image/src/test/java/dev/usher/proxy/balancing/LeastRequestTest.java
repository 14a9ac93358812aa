package dev.usher.proxy.balancing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.endpoints.UpstreamPool;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

// Picks are random, so the distribution checks use thresholds many standard deviations from the expected
// counts: they catch a balancer that ignores load, without being flaky.
class LeastRequestTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final UpstreamPool pool = new UpstreamPool(clock::get);
    private final LoadBalancer lb = new SlowStart(Duration.ofSeconds(10), clock::get).around(new LeastRequest());

    private List<Upstream> upstreams(int n) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            endpoints.add(new Endpoint(new InetSocketAddress("127.0.0." + i, 9000), true));
        }
        pool.update(endpoints);
        return pool.snapshot().ready();
    }

    private static void inFlight(Upstream u, int requests) {
        for (int i = 0; i < requests; i++) {
            u.requestStarted();
        }
    }

    private Map<Upstream, Integer> counts(List<Upstream> candidates, Predicate<Upstream> eligible, int picks) {
        Map<Upstream, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(lb.pick(candidates, eligible), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void prefersUpstreamsWithFewerRequestsInFlight() {
        List<Upstream> all = upstreams(3);
        Upstream busy = all.get(0);
        inFlight(busy, 10);

        Map<Upstream, Integer> counts = counts(all, u -> true, 3000);

        // Ignoring load would give each about 1000; the busy one should only win when drawn twice.
        int busyCount = counts.getOrDefault(busy, 0);
        assertThat(busyCount).isLessThan(600);
        assertThat(counts.get(all.get(1))).isGreaterThan(2 * busyCount);
        assertThat(counts.get(all.get(2))).isGreaterThan(2 * busyCount);
    }

    @Test
    void spreadsOverAllUpstreamsWhenLoadIsEqual() {
        List<Upstream> all = upstreams(3);

        Map<Upstream, Integer> counts = counts(all, u -> true, 3000);

        assertThat(counts).containsOnlyKeys(all);
        assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(800, 1200));
    }

    @Test
    void neverPicksAnIneligibleUpstreamEvenWhenItIsTheLeastLoaded() {
        List<Upstream> all = upstreams(5);
        Set<Upstream> eligible = Set.of(all.get(1), all.get(3));
        eligible.forEach(u -> inFlight(u, 5));

        Map<Upstream, Integer> counts = counts(all, eligible::contains, 1000);

        assertThat(counts.keySet()).isEqualTo(eligible);
    }

    @Test
    void findsTheOneEligibleUpstreamAmongMany() {
        List<Upstream> all = upstreams(20);
        Upstream only = all.get(13);

        for (int i = 0; i < 200; i++) {
            assertThat(lb.pick(all, u -> u == only)).isSameAs(only);
        }
    }

    @Test
    void returnsNullWhenNothingIsEligible() {
        List<Upstream> all = upstreams(4);

        assertThat(lb.pick(all, u -> false)).isNull();
        assertThat(lb.pick(all.subList(0, 1), u -> false)).isNull();
        assertThat(lb.pick(List.of(), u -> true)).isNull();
    }

    @Test
    void anUpstreamInSlowStartIsPickedLessAtEqualLoad() {
        List<Upstream> established = upstreams(2);
        pool.update(List.of(
                new Endpoint(established.get(0).address(), true),
                new Endpoint(established.get(1).address(), true),
                new Endpoint(new InetSocketAddress("127.0.0.3", 9000), true)));
        List<Upstream> all = pool.snapshot().ready();
        Upstream fresh = all.get(2);

        Map<Upstream, Integer> counts = counts(all, u -> true, 3000);

        assertThat(counts.getOrDefault(fresh, 0)).isLessThan(600);
    }
}
