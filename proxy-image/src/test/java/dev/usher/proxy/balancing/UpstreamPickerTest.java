package dev.usher.proxy.balancing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.config.LoadBalancing;
import dev.usher.proxy.config.ProxyConfig;
import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.endpoints.UpstreamPool;
import dev.usher.proxy.health.OutlierDetector;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

// Every rule here must hold whichever balancer the user configured, so each test runs with both.
class UpstreamPickerTest {
    private static final int FAILURES_TO_EJECT = 3;
    private static final Duration EJECTION = Duration.ofSeconds(10);

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final UpstreamPool pool = new UpstreamPool(clock::get);
    private final OutlierDetector outliers = new OutlierDetector(
            new ProxyConfig.OutlierDetection(FAILURES_TO_EJECT, EJECTION, Duration.ofMinutes(5), 50),
            clock::get, u -> {});

    private UpstreamPicker picker(String balancer) {
        return picker(balancer, 0);
    }

    private UpstreamPicker picker(String balancer, int concurrency) {
        SlowStart off = new SlowStart(Duration.ZERO, clock::get);
        return new UpstreamPicker(pool, LoadBalancer.of(LoadBalancing.fromKey(balancer), off), outliers,
                new Capacity(concurrency, off));
    }

    private List<Upstream> upstreams(int n) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            endpoints.add(new Endpoint(new InetSocketAddress("127.0.0." + i, 9000), true));
        }
        pool.update(endpoints);
        return pool.snapshot().ready();
    }

    private void eject(Upstream u) {
        for (int i = 0; i < FAILURES_TO_EJECT; i++) {
            outliers.failure(u);
        }
        assertThat(outliers.isEjected(u)).isTrue();
    }

    private Set<Upstream> picked(UpstreamPicker picker, Set<Upstream> tried, int picks) {
        Set<Upstream> seen = new HashSet<>();
        for (int i = 0; i < picks; i++) {
            seen.add(picker.pick(tried));
        }
        return seen;
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void anEmptyPoolGivesNull(String balancer) {
        assertThat(picker(balancer).pick(Set.of())).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void aPoolWithOnlyFencedUpstreamsGivesNull(String balancer) {
        pool.update(List.of(new Endpoint(new InetSocketAddress("127.0.0.1", 9000), false)));

        assertThat(picker(balancer).pick(Set.of())).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void fencedUpstreamsAreNeverPicked(String balancer) {
        pool.update(List.of(
                new Endpoint(new InetSocketAddress("127.0.0.1", 9000), true),
                new Endpoint(new InetSocketAddress("127.0.0.2", 9000), false)));

        assertThat(picked(picker(balancer), Set.of(), 200)).containsExactlyElementsOf(pool.snapshot().ready());
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void ejectedUpstreamsAreSkipped(String balancer) {
        List<Upstream> all = upstreams(3);
        eject(all.get(0));

        assertThat(picked(picker(balancer), Set.of(), 300)).containsExactlyInAnyOrder(all.get(1), all.get(2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void anUpstreamIsPickedAgainOnceItsEjectionEnds(String balancer) {
        List<Upstream> all = upstreams(2);
        eject(all.get(0));
        clock.addAndGet(EJECTION.toNanos() + 1);

        assertThat(picked(picker(balancer), Set.of(), 200)).containsExactlyInAnyOrderElementsOf(all);
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void exactlyAtThePanicThresholdEjectedUpstreamsAreStillSkipped(String balancer) {
        List<Upstream> all = upstreams(4);
        eject(all.get(0));
        eject(all.get(1));

        assertThat(picked(picker(balancer), Set.of(), 300)).containsExactlyInAnyOrder(all.get(2), all.get(3));
    }

    // With most upstreams ejected, the few healthy ones would take the whole load and fall over too.
    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void belowThePanicThresholdAllReadyUpstreamsAreUsed(String balancer) {
        List<Upstream> all = upstreams(4);
        eject(all.get(0));
        eject(all.get(1));
        eject(all.get(2));

        assertThat(picked(picker(balancer), Set.of(), 400)).containsExactlyInAnyOrderElementsOf(all);
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void aRetryGoesToAnUpstreamNotTriedYet(String balancer) {
        List<Upstream> all = upstreams(3);
        Set<Upstream> tried = Set.of(all.get(0));

        assertThat(picked(picker(balancer), tried, 300)).containsExactlyInAnyOrder(all.get(1), all.get(2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void whenEveryUpstreamWasTriedARetryReusesOneRatherThanFailing(String balancer) {
        List<Upstream> all = upstreams(2);
        Set<Upstream> tried = Set.copyOf(all);

        for (int i = 0; i < 50; i++) {
            assertThat(picker(balancer).pick(tried)).isIn(all);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void aRetryPrefersATriedHealthyUpstreamToAnEjectedOne(String balancer) {
        List<Upstream> all = upstreams(3);
        eject(all.get(2));
        Set<Upstream> tried = Set.of(all.get(0), all.get(1));

        assertThat(picked(picker(balancer), tried, 300)).isNotEmpty().isSubsetOf(all.get(0), all.get(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-request"})
    void aFullUpstreamIsNotPickedAndAllFullMeansWait(String balancer) {
        List<Upstream> all = upstreams(2);
        UpstreamPicker picker = picker(balancer, 2);
        Capacity capacity = new Capacity(2, new SlowStart(Duration.ZERO, clock::get));
        assertThat(capacity.tryTake(all.get(0))).isTrue();
        assertThat(capacity.tryTake(all.get(0))).isTrue();
        assertThat(capacity.tryTake(all.get(0))).as("a third request on a concurrency of 2").isFalse();
        for (int i = 0; i < 50; i++) {
            assertThat(picker.pick(Set.of())).isSameAs(all.get(1));
        }
        capacity.tryTake(all.get(1));
        capacity.tryTake(all.get(1));
        assertThat(picker.pick(Set.of())).as("every upstream full").isNull();
        assertThat(picker.anyReady()).isTrue();
        assertThat(picker.anyRoom()).isFalse();
        all.get(1).requestFinished();
        assertThat(picker.anyRoom()).isTrue();
        assertThat(picker.pick(Set.of())).isSameAs(all.get(1));
    }
}
