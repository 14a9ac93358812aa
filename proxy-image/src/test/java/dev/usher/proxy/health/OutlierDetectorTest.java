package dev.usher.proxy.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.proxy.config.ProxyConfig;
import dev.usher.proxy.endpoints.Endpoint;
import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.endpoints.UpstreamPool;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OutlierDetectorTest {
    private static final int THRESHOLD = 3;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AtomicLong clock = new AtomicLong(-2_000_000_000L); // System.nanoTime may be negative
    private final List<Upstream> ejections = new ArrayList<>();
    private final OutlierDetector detector = detector(Duration.ofSeconds(10), Duration.ofMinutes(5));
    private final Upstream a;
    private final Upstream b;

    OutlierDetectorTest() {
        UpstreamPool pool = new UpstreamPool(clock::get);
        pool.update(List.of(
                new Endpoint(new InetSocketAddress("127.0.0.1", 9001), true),
                new Endpoint(new InetSocketAddress("127.0.0.2", 9002), true)));
        a = pool.snapshot().ready().get(0);
        b = pool.snapshot().ready().get(1);
    }

    private OutlierDetector detector(Duration base, Duration max) {
        return new OutlierDetector(
                new ProxyConfig.OutlierDetection(THRESHOLD, base, max, 50), clock::get, ejections::add);
    }

    private static void fail(OutlierDetector d, Upstream u, int times) {
        for (int i = 0; i < times; i++) {
            d.failure(u);
        }
    }

    /** Ejects {@code u} now and checks the ejection lasts {@code expected}, leaving the clock just after it ends. */
    private void assertEjectionLasts(OutlierDetector d, Upstream u, long expected, int ejectionNumber) {
        fail(d, u, THRESHOLD);
        assertThat(d.isEjected(u)).as("ejection #%d starts", ejectionNumber).isTrue();
        clock.addAndGet(expected - MS);
        assertThat(d.isEjected(u)).as("ejection #%d still on 1 ms before %d ms", ejectionNumber, expected / MS).isTrue();
        clock.addAndGet(2 * MS);
        assertThat(d.isEjected(u)).as("ejection #%d over 1 ms after %d ms", ejectionNumber, expected / MS).isFalse();
    }

    @Test
    void ejectsAfterTheConfiguredNumberOfFailuresInARow() {
        fail(detector, a, THRESHOLD - 1);
        assertThat(detector.isEjected(a)).isFalse();

        detector.failure(a);

        assertThat(detector.isEjected(a)).isTrue();
        assertThat(detector.isEjected(b)).as("ejection is per upstream").isFalse();
    }

    @Test
    void aSuccessResetsTheStreak() {
        fail(detector, a, THRESHOLD - 1);
        detector.success(a);
        fail(detector, a, THRESHOLD - 1);

        assertThat(detector.isEjected(a)).isFalse();
        assertThat(a.health().consecutiveFailures()).isEqualTo(THRESHOLD - 1);

        detector.failure(a);
        assertThat(detector.isEjected(a)).isTrue();
    }

    @Test
    void anEjectionEndsWithTheClock() {
        assertEjectionLasts(detector, a, TimeUnit.SECONDS.toNanos(10), 1);
    }

    @Test
    void afterAnEjectionEndsItTakesAFullStreakToEjectAgain() {
        fail(detector, a, THRESHOLD);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(11));

        fail(detector, a, THRESHOLD - 1);

        assertThat(detector.isEjected(a)).isFalse();
    }

    @Test
    void eachEjectionLastsTwiceAsLongAsTheLastUpToTheMaximum() {
        long base = TimeUnit.SECONDS.toNanos(10);
        long max = TimeUnit.MINUTES.toNanos(5);

        long expected = base;
        for (int n = 1; n <= 8; n++) {
            assertEjectionLasts(detector, a, Math.min(expected, max), n);
            expected *= 2;
        }
        assertThat(a.health().ejections()).isEqualTo(8);
    }

    // Ejection counts never decay, so a flapping upstream on a long-running proxy can reach dozens.
    @Test
    void ejectionsStayAtTheMaximumHoweverManyThereHaveBeen() {
        OutlierDetector d = detector(Duration.ofMinutes(1), Duration.ofMinutes(5));
        long base = TimeUnit.MINUTES.toNanos(1);
        long max = TimeUnit.MINUTES.toNanos(5);

        long expected = base;
        for (int n = 1; n <= 40; n++) {
            assertEjectionLasts(d, a, expected, n);
            expected = Math.min(max, expected * 2);
        }
    }

    @Test
    void failuresDuringAnEjectionNeitherExtendItNorCountAsANewEjection() {
        fail(detector, a, THRESHOLD);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(5));

        fail(detector, a, THRESHOLD);

        assertThat(ejections).containsExactly(a);
        assertThat(a.health().ejections()).isEqualTo(1);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(5) + MS);
        assertThat(detector.isEjected(a)).isFalse();
    }

    @Test
    void anyEjectedIsTrueUntilTheLastEjectionEnds() {
        assertThat(detector.anyEjected()).isFalse();

        fail(detector, a, THRESHOLD);
        assertThat(detector.anyEjected()).isTrue();
        clock.addAndGet(TimeUnit.SECONDS.toNanos(5));
        fail(detector, b, THRESHOLD);

        clock.addAndGet(TimeUnit.SECONDS.toNanos(6)); // a's ejection is over, b's has 4 s to go
        assertThat(detector.isEjected(a)).isFalse();
        assertThat(detector.anyEjected()).isTrue();

        clock.addAndGet(TimeUnit.SECONDS.toNanos(5));
        assertThat(detector.anyEjected()).isFalse();
    }

    @Test
    void theListenerIsToldOfEveryEjectionAndNothingElse() {
        fail(detector, a, THRESHOLD - 1);
        detector.success(a);
        assertThat(ejections).isEmpty();

        fail(detector, a, THRESHOLD);
        fail(detector, b, THRESHOLD);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(11));
        fail(detector, a, THRESHOLD);

        assertThat(ejections).containsExactly(a, b, a);
    }

    @Test
    void reportsTheConfiguredPanicThreshold() {
        OutlierDetector d = new OutlierDetector(
                new ProxyConfig.OutlierDetection(5, Duration.ofSeconds(1), Duration.ofSeconds(2), 37), clock::get, u -> {});

        assertThat(d.panicThresholdPercent()).isEqualTo(37);
    }
}
