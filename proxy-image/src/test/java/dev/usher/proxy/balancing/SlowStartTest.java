package dev.usher.proxy.balancing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.endpoints.UpstreamPool;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SlowStartTest {
    private static final InetSocketAddress OLD = new InetSocketAddress("127.0.0.1", 9001);
    private static final InetSocketAddress NEW = new InetSocketAddress("127.0.0.2", 9002);
    private static final long WINDOW = TimeUnit.SECONDS.toNanos(10);

    private final AtomicLong clock = new AtomicLong(-3_000_000_000L); // System.nanoTime may be negative
    private final UpstreamPool pool = new UpstreamPool(clock::get);
    private final SlowStart slowStart = new SlowStart(Duration.ofNanos(WINDOW), clock::get);

    private Upstream get(InetSocketAddress a) {
        return pool.snapshot().all().stream().filter(u -> u.address().equals(a)).findFirst().orElseThrow();
    }

    private Upstream addedNow() {
        pool.update(List.of(new Endpoint(OLD, true)));
        pool.update(List.of(new Endpoint(OLD, true), new Endpoint(NEW, true)));
        return get(NEW);
    }

    @Test
    void upstreamsFromTheFirstUpdateGetFullWeightAtOnce() {
        pool.update(List.of(new Endpoint(OLD, true)));

        assertThat(slowStart.weight(get(OLD))).isEqualTo(1.0);
        clock.addAndGet(WINDOW / 2);
        assertThat(slowStart.weight(get(OLD))).isEqualTo(1.0);
    }

    @Test
    void aNewUpstreamStartsAtTheMinimumWeight() {
        assertThat(slowStart.weight(addedNow())).isCloseTo(0.1, within(1e-9));
    }

    @Test
    void weightRisesSteadilyToFullOverTheWindow() {
        Upstream fresh = addedNow();
        double previous = slowStart.weight(fresh);

        for (int tenth = 1; tenth < 10; tenth++) {
            clock.addAndGet(WINDOW / 10);
            double w = slowStart.weight(fresh);
            assertThat(w).as("at %d/10 of the window", tenth).isGreaterThanOrEqualTo(previous).isLessThan(1.0);
            previous = w;
        }
        assertThat(previous).as("just before the window ends").isGreaterThan(0.8);

        clock.addAndGet(WINDOW / 10);
        assertThat(slowStart.weight(fresh)).isEqualTo(1.0);
        clock.addAndGet(WINDOW * 100);
        assertThat(slowStart.weight(fresh)).isEqualTo(1.0);
    }

    @Test
    void halfwayThroughTheWindowTheWeightIsRoughlyHalf() {
        Upstream fresh = addedNow();
        clock.addAndGet(WINDOW / 2);

        // Linear from 0 (floored at 0.1) gives 0.5, linear from 0.1 gives 0.55: either is a fair ramp.
        assertThat(slowStart.weight(fresh)).isBetween(0.45, 0.6);
    }

    @Test
    void aZeroWindowTurnsSlowStartOff() {
        SlowStart off = new SlowStart(Duration.ZERO, clock::get);

        assertThat(off.weight(addedNow())).isEqualTo(1.0);
    }

    @Test
    void anUpstreamThatWasFencedRampsUpAgainWhenReady() {
        pool.update(List.of(new Endpoint(OLD, true)));
        pool.update(List.of(new Endpoint(OLD, false)));
        clock.addAndGet(WINDOW * 5);

        pool.update(List.of(new Endpoint(OLD, true)));

        assertThat(slowStart.weight(get(OLD))).isLessThan(0.2);
    }
}
