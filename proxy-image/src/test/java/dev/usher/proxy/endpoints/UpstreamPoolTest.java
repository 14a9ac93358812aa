package dev.usher.proxy.endpoints;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class UpstreamPoolTest {
    private static final InetSocketAddress A = new InetSocketAddress("127.0.0.1", 9001);
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.2", 9002);
    private static final InetSocketAddress C = new InetSocketAddress("127.0.0.3", 9003);

    private final AtomicLong clock = new AtomicLong(7_000_000_000L);
    private final UpstreamPool pool = new UpstreamPool(clock::get);
    private final List<Upstream> removed = new ArrayList<>();

    UpstreamPoolTest() {
        pool.addRemovalListener(removed::add);
    }

    private static Endpoint ready(InetSocketAddress a) {
        return new Endpoint(a, true);
    }

    private static Endpoint fenced(InetSocketAddress a) {
        return new Endpoint(a, false);
    }

    private Upstream member(InetSocketAddress a) {
        return pool.snapshot().all().stream().filter(u -> u.address().equals(a)).findFirst().orElseThrow();
    }

    @Test
    void startsEmpty() {
        assertThat(pool.snapshot().ready()).isEmpty();
        assertThat(pool.snapshot().all()).isEmpty();
    }

    @Test
    void theFirstUpdatePopulatesWithoutSlowStart() {
        assertThat(pool.update(List.of(ready(A), ready(B)))).isTrue();

        assertThat(pool.snapshot().ready()).extracting(Upstream::address).containsExactly(A, B);
        assertThat(pool.snapshot().ready()).allSatisfy(u -> {
            assertThat(u.state()).isEqualTo(Upstream.State.ACTIVE);
            assertThat(u.activeSinceNanos()).isEqualTo(Long.MIN_VALUE);
        });
    }

    @Test
    void upstreamsAddedLaterAreStampedWithTheClockForSlowStart() {
        pool.update(List.of(ready(A)));
        clock.addAndGet(5_000_000_000L);

        pool.update(List.of(ready(A), ready(B)));

        assertThat(member(B).activeSinceNanos()).isEqualTo(clock.get());
        assertThat(member(A).activeSinceNanos()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void anUpstreamKeepsItsIdentityAcrossUpdatesSoItsCountersSurvive() {
        pool.update(List.of(ready(A)));
        Upstream a = member(A);
        a.requestStarted();

        pool.update(List.of(ready(A), ready(B)));

        assertThat(member(A)).isSameAs(a);
        assertThat(member(A).inFlight()).isEqualTo(1);
    }

    @Test
    void notReadyEndpointsAreFencedVisibleToAdminButNotPickable() {
        pool.update(List.of(ready(A), fenced(B)));

        assertThat(pool.snapshot().ready()).extracting(Upstream::address).containsExactly(A);
        assertThat(pool.snapshot().all()).extracting(Upstream::address).containsExactly(A, B);
        assertThat(member(B).state()).isEqualTo(Upstream.State.DRAINING);
        assertThat(member(B).isActive()).isFalse();
    }

    @Test
    void anUpstreamGoingNotReadyIsFencedNotRemoved() {
        pool.update(List.of(ready(A), ready(B)));
        Upstream b = member(B);

        assertThat(pool.update(List.of(ready(A), fenced(B)))).isTrue();

        assertThat(b.state()).isEqualTo(Upstream.State.DRAINING);
        assertThat(pool.snapshot().ready()).containsExactly(member(A));
        assertThat(pool.snapshot().all()).contains(b);
        assertThat(removed).isEmpty();
    }

    @Test
    void aFencedUpstreamBecomingReadyAgainStartsASlowStartFromNow() {
        pool.update(List.of(ready(A), ready(B)));
        pool.update(List.of(ready(A), fenced(B)));
        clock.addAndGet(3_000_000_000L);

        pool.update(List.of(ready(A), ready(B)));

        assertThat(member(B).state()).isEqualTo(Upstream.State.ACTIVE);
        assertThat(member(B).activeSinceNanos()).isEqualTo(clock.get());
        assertThat(pool.snapshot().ready()).extracting(Upstream::address).contains(B);
    }

    @Test
    void anUpstreamFencedFromTheStartRampsUpWhenItBecomesReady() {
        pool.update(List.of(ready(A), fenced(B)));
        clock.addAndGet(1_000_000_000L);

        pool.update(List.of(ready(A), ready(B)));

        assertThat(member(B).activeSinceNanos()).isEqualTo(clock.get());
    }

    @Test
    void absentUpstreamsAreRemovedAndTheListenerIsToldOnce() {
        pool.update(List.of(ready(A), ready(B), fenced(C)));
        Upstream b = member(B);
        Upstream c = member(C);

        assertThat(pool.update(List.of(ready(A)))).isTrue();

        assertThat(b.state()).isEqualTo(Upstream.State.REMOVED);
        assertThat(c.state()).isEqualTo(Upstream.State.REMOVED);
        assertThat(pool.snapshot().ready()).extracting(Upstream::address).containsExactly(A);
        assertThat(pool.snapshot().all()).extracting(Upstream::address).containsExactly(A);
        assertThat(removed).containsExactlyInAnyOrder(b, c);

        pool.update(List.of(ready(A)));
        assertThat(removed).hasSize(2);
    }

    @Test
    void aRemovedAddressThatComesBackIsANewUpstreamInSlowStart() {
        pool.update(List.of(ready(A), ready(B)));
        Upstream old = member(B);
        pool.update(List.of(ready(A)));
        clock.addAndGet(2_000_000_000L);

        pool.update(List.of(ready(A), ready(B)));

        assertThat(member(B)).isNotSameAs(old);
        assertThat(member(B).state()).isEqualTo(Upstream.State.ACTIVE);
        assertThat(member(B).activeSinceNanos()).isEqualTo(clock.get());
        assertThat(old.state()).isEqualTo(Upstream.State.REMOVED);
    }

    @Test
    void duplicateAddressesBecomeOneUpstreamAndTheLastEntryWins() {
        pool.update(List.of(ready(A), ready(A), ready(B)));
        assertThat(pool.snapshot().all()).extracting(Upstream::address).containsExactly(A, B);

        pool.update(List.of(ready(A), ready(B), fenced(B)));
        assertThat(pool.snapshot().all()).hasSize(2);
        assertThat(member(B).state()).isEqualTo(Upstream.State.DRAINING);
    }

    @Test
    void anUnchangedUpdateReportsNoChangeAndKeepsTheSameSnapshot() {
        pool.update(List.of(ready(A), fenced(B)));
        UpstreamPool.Snapshot before = pool.snapshot();

        assertThat(pool.update(List.of(ready(A), fenced(B)))).isFalse();
        // Discovery sources may list endpoints in any order; a reshuffle is not a change either.
        assertThat(pool.update(List.of(fenced(B), ready(A)))).isFalse();

        assertThat(pool.snapshot()).isSameAs(before);
    }

    @Test
    void anEmptyUpdateRemovesEverything() {
        pool.update(List.of(ready(A), ready(B)));

        assertThat(pool.update(List.of())).isTrue();

        assertThat(pool.snapshot().all()).isEmpty();
        assertThat(removed).hasSize(2);
    }

    @Test
    void snapshotsAreImmutableSoReadersCannotCorruptThePool() {
        pool.update(List.of(ready(A)));
        UpstreamPool.Snapshot s = pool.snapshot();

        assertThatThrownBy(() -> s.ready().clear())
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> s.all().clear())
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
