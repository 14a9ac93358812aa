package dev.usher.operator.autoscaling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.operator.autoscaling.Decision.Mode;
import dev.usher.operator.autoscaling.Decision.Outcome;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The decision on a made-up clock: samples every 2 s, as the autoscaler takes them. Policy: 1 to 5
 * replicas, concurrency 2 at 100%, a 60 s stable window, a 6 s panic window, a 30 s scale-down delay.
 */
class DecisionTest {

    private static final Policy POLICY = new Policy(1, 5, 1.0, 2, Duration.ofSeconds(60), Duration.ofSeconds(6),
            Duration.ofSeconds(30));
    private static final Duration TICK = Duration.ofSeconds(2);

    private final Decision decision = new Decision(POLICY);
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private int replicas = 1;

    /** Samples the demand for this long, applying each outcome as the autoscaler would; the last outcome. */
    private Outcome run(double demand, Duration during) {
        Outcome last = null;
        for (Instant end = now.plus(during); now.isBefore(end); now = now.plus(TICK)) {
            decision.record(now, demand);
            last = decision.decide(now, replicas);
            replicas = last.replicas();
        }
        return last;
    }

    @Test
    void steadyDemandWithinCapacityKeepsTheReplicas() {
        Outcome o = run(2, Duration.ofSeconds(120));
        assertThat(o.replicas()).isEqualTo(1);
        assertThat(o.mode()).isEqualTo(Mode.STABLE);
        assertThat(o.stableDemand()).isEqualTo(2.0);
    }

    @Test
    void replicasAreDemandOverConcurrencyTimesTargetRoundedUp() {
        Policy policy = new Policy(1, 10, 0.7, 4, Duration.ofSeconds(60), Duration.ofSeconds(6), Duration.ZERO);
        Decision d = new Decision(policy);
        d.record(now, 8.5); // 8.5 / 2.8 = 3.04
        assertThat(d.decide(now, 4).replicas()).isEqualTo(4);
        Decision exact = new Decision(policy);
        exact.record(now, 8.4); // exactly 3 pods' worth, though 8.4 / 2.8 is not exactly 3.0 in floating point
        assertThat(exact.decide(now, 3).replicas()).isEqualTo(3);
    }

    @Test
    void demandOverTwiceTheCapacityPanicsAndScalesWithinThePanicWindow() {
        run(1, Duration.ofSeconds(60));
        Instant start = now;
        // 8 requests need 4 pods of 2; one pod serves 2: four times its capacity. The first sample of 8
        // lifts the panic window's average (1, 1, 8) to 3.3, under twice the capacity (4); the second to 5.7.
        assertThat(run(8, TICK).mode()).isEqualTo(Mode.STABLE);
        Outcome o = run(8, TICK);
        assertThat(o.mode()).isEqualTo(Mode.PANIC);
        assertThat(o.replicas()).isEqualTo(3);
        o = run(8, TICK);
        assertThat(o.replicas()).isEqualTo(4);
        // within the panic window of the load's start
        assertThat(Duration.between(start, now)).isLessThanOrEqualTo(Duration.ofSeconds(6));
    }

    @Test
    void theStableWindowAloneScalesUpSlowly() {
        run(1, Duration.ofSeconds(60));
        // 3 requests on 1 pod of 2: 1.5 times the capacity, below the panic threshold.
        Outcome o = run(3, TICK);
        assertThat(o.mode()).isEqualTo(Mode.STABLE);
        assertThat(o.replicas()).isEqualTo(1); // the 60 s average is still about 1
        o = run(3, Duration.ofSeconds(40));
        assertThat(o.replicas()).isEqualTo(2);
    }

    @Test
    void panicNeverScalesDownAndEndsAStableWindowAfterTheLastTimeOverTheThreshold() {
        Decision noDelay = new Decision(new Policy(1, 5, 1.0, 2, Duration.ofSeconds(60), Duration.ofSeconds(6),
                Duration.ZERO));
        // 8 requests on 1 pod: over the threshold at the first sample only; 4 pods serve 8, and 16 would panic.
        noDelay.record(now, 8);
        Outcome o = noDelay.decide(now, 1);
        assertThat(o.mode()).isEqualTo(Mode.PANIC);
        assertThat(o.replicas()).isEqualTo(4);
        Instant over = now;
        // The load halves: the panic window wants 2 pods, but panic never scales down.
        for (now = now.plus(TICK); now.isBefore(over.plusSeconds(60)); now = now.plus(TICK)) {
            noDelay.record(now, 4);
            o = noDelay.decide(now, 4);
            assertThat(o.mode()).isEqualTo(Mode.PANIC);
            assertThat(o.replicas()).isEqualTo(4);
        }
        noDelay.record(now, 4);
        o = noDelay.decide(now, 4);
        assertThat(o.mode()).isEqualTo(Mode.STABLE);
        assertThat(o.replicas()).isEqualTo(2);
    }

    @Test
    void scaleDownWaitsForTheDelayAndGoesNoLowerThanTheMostWantedInIt() {
        run(8, Duration.ofSeconds(120)); // panic, 4 replicas, then stable at 4
        assertThat(replicas).isEqualTo(4);
        assertThat(decision.decide(now, replicas).mode()).isEqualTo(Mode.STABLE);
        Instant stop = now;
        Outcome o = run(0, Duration.ofSeconds(30));
        // The stable average has fallen to about 4 requests (2 pods), but 4 pods were wanted within 30 s.
        assertThat(o.stableDemand()).isLessThan(5);
        assertThat(o.replicas()).isEqualTo(4);
        Instant firstDown = null;
        while (replicas > 1 && now.isBefore(stop.plus(Duration.ofMinutes(3)))) {
            run(0, TICK);
            if (replicas < 4 && firstDown == null) {
                firstDown = now;
            }
        }
        assertThat(replicas).isEqualTo(1);
        assertThat(Duration.between(stop, firstDown)).isGreaterThan(Duration.ofSeconds(30));
        // Down within the stable window plus the delay (and a tick).
        assertThat(Duration.between(stop, now)).isLessThanOrEqualTo(Duration.ofSeconds(92));
    }

    @Test
    void aFreshDecisionDoesNotScaleDownBeforeItHasSeenAWholeDelay() {
        replicas = 4;
        Outcome o = run(0, Duration.ofSeconds(28));
        assertThat(o.replicas()).isEqualTo(4);
        o = run(0, Duration.ofSeconds(4));
        assertThat(o.replicas()).isEqualTo(1);
    }

    @Test
    void scaleUpIsNotDelayed() {
        Policy slowDown = new Policy(1, 5, 1.0, 2, Duration.ofSeconds(6), Duration.ofSeconds(6), Duration.ofMinutes(10));
        Decision d = new Decision(slowDown);
        d.record(now, 3);
        assertThat(d.decide(now, 1).replicas()).isEqualTo(2);
    }

    @Test
    void replicasStayWithinMinAndMax() {
        Outcome o = run(100, Duration.ofSeconds(10));
        assertThat(o.replicas()).isEqualTo(5);
        Decision d = new Decision(new Policy(2, 5, 1.0, 2, Duration.ofSeconds(60), Duration.ofSeconds(6),
                Duration.ZERO));
        d.record(now, 0);
        assertThat(d.decide(now, 2).replicas()).isEqualTo(2);
        // Scaled by hand above the maximum: back to it at once, not after the delay.
        Decision fresh = new Decision(POLICY);
        fresh.record(now, 20);
        assertThat(fresh.decide(now, 9).replicas()).isEqualTo(5);
        // and up from below the minimum, e.g. a kubectl scale to 0
        Decision zero = new Decision(POLICY);
        zero.record(now, 0);
        assertThat(zero.decide(now, 0).replicas()).isEqualTo(1);
    }

    @Test
    void withoutSamplesForAWholeStableWindowItHolds() {
        run(8, Duration.ofSeconds(20));
        now = now.plus(Duration.ofSeconds(61));
        Outcome o = decision.decide(now, replicas);
        assertThat(o.replicas()).isEqualTo(4);
    }

    @Test
    void aMissedSampleIsNotReadAsNoDemand() {
        run(2, Duration.ofSeconds(60));
        now = now.plus(Duration.ofSeconds(10)); // five rounds without an answer from a proxy
        Outcome o = decision.decide(now, replicas);
        assertThat(o.replicas()).isEqualTo(1);
        assertThat(o.stableDemand()).isEqualTo(2.0);
    }
}
