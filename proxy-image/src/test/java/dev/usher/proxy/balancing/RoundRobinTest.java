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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class RoundRobinTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final UpstreamPool pool = new UpstreamPool(clock::get);
    private final LoadBalancer rr = new SlowStart(Duration.ofSeconds(10), clock::get).around(new RoundRobin());

    private List<Upstream> upstreams(int n) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            endpoints.add(new Endpoint(new InetSocketAddress("127.0.0." + i, 9000), true));
        }
        pool.update(endpoints);
        return pool.snapshot().ready();
    }

    private Map<Upstream, Integer> counts(List<Upstream> candidates, Predicate<Upstream> eligible, int picks) {
        Map<Upstream, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(rr.pick(candidates, eligible), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void spreadsRequestsExactlyEvenly() {
        List<Upstream> all = upstreams(4);

        Map<Upstream, Integer> counts = counts(all, u -> true, 400);

        assertThat(counts).containsOnlyKeys(all);
        assertThat(counts.values()).containsOnly(100);
    }

    @Test
    void visitsEveryUpstreamBeforeRepeatingOne() {
        List<Upstream> all = upstreams(5);

        List<Upstream> firstRound = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            firstRound.add(rr.pick(all, u -> true));
        }

        assertThat(firstRound).containsExactlyInAnyOrderElementsOf(all);
    }

    @Test
    void neverPicksAnIneligibleUpstreamButStillUsesAllTheOthers() {
        List<Upstream> all = upstreams(4);
        Upstream excluded = all.get(1);

        Map<Upstream, Integer> counts = counts(all, u -> u != excluded, 400);

        assertThat(counts).doesNotContainKey(excluded).containsOnlyKeys(all.get(0), all.get(2), all.get(3));
    }

    @Test
    void returnsNullWhenNothingIsEligibleOrThereAreNoCandidates() {
        List<Upstream> all = upstreams(3);

        assertThat(rr.pick(all, u -> false)).isNull();
        assertThat(rr.pick(List.of(), u -> true)).isNull();
    }

    @Test
    void anUpstreamInSlowStartGetsLessTrafficButSomeTraffic() {
        List<Upstream> established = upstreams(2);
        pool.update(List.of(
                new Endpoint(established.get(0).address(), true),
                new Endpoint(established.get(1).address(), true),
                new Endpoint(new InetSocketAddress("127.0.0.3", 9000), true)));
        List<Upstream> all = pool.snapshot().ready();
        Upstream fresh = all.get(2);

        Map<Upstream, Integer> counts = counts(all, u -> true, 3000);

        // Its first turn comes at weight 0.1: about a tenth of an even share (100 of 1000) rather than 1000.
        assertThat(counts.getOrDefault(fresh, 0)).isPositive().isLessThan(300);
        assertThat(counts.get(established.get(0))).isGreaterThan(1000);
    }

    @Test
    void anUpstreamInSlowStartIsStillUsedWhenItIsTheOnlyChoice() {
        List<Upstream> established = upstreams(1);
        pool.update(List.of(
                new Endpoint(established.get(0).address(), true),
                new Endpoint(new InetSocketAddress("127.0.0.2", 9000), true)));
        Upstream fresh = pool.snapshot().ready().get(1);

        for (int i = 0; i < 50; i++) {
            assertThat(rr.pick(pool.snapshot().ready(), u -> u == fresh)).isSameAs(fresh);
        }
    }
}
