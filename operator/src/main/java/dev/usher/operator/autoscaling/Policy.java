package dev.usher.operator.autoscaling;

import dev.usher.operator.resource.Autoscaling;
import dev.usher.operator.resource.ProxiedAppSpec;
import dev.usher.proxy.config.Durations;
import java.time.Duration;
import java.util.Optional;

/**
 * One app's autoscaling settings, checked and in the units the decision uses.
 *
 * @param concurrency requests one backend pod serves at once (spec.concurrency)
 */
public record Policy(int minReplicas, int maxReplicas, double targetUtilization, int concurrency,
                     Duration stableWindow, Duration panicWindow, Duration scaleDownDelay) {

    /** Demand at least this many times the current capacity panics, as Knative's default (200%). */
    public static final double PANIC_THRESHOLD = 2.0;

    /** Requests one pod should hold on average: the divisor of the demand. */
    public double capacityPerPod() {
        return concurrency * targetUtilization;
    }

    /**
     * The policy of a spec that has {@code autoscaling}, or why there is none. The schema rejects most of
     * these already; they are checked again for an API server without CEL rules (before Kubernetes 1.25).
     */
    public static Policy of(ProxiedAppSpec spec) {
        Autoscaling a = spec.autoscaling();
        if (a == null) {
            throw new IllegalArgumentException("spec.autoscaling is not set");
        }
        if (spec.concurrency() == null || spec.concurrency() <= 0) {
            throw new IllegalArgumentException("spec.autoscaling needs spec.concurrency, the requests one pod"
                    + " serves at once: the autoscaler sizes the app by it");
        }
        if (a.maxReplicas() == null || a.minReplicas() < 1 || a.maxReplicas() < a.minReplicas()) {
            throw new IllegalArgumentException("spec.autoscaling needs 1 <= minReplicas <= maxReplicas, not "
                    + a.minReplicas() + " and " + a.maxReplicas());
        }
        if (!(a.targetUtilization() > 0 && a.targetUtilization() <= 1)) {
            throw new IllegalArgumentException("spec.autoscaling.targetUtilization must be more than 0 and at most 1,"
                    + " not " + a.targetUtilization());
        }
        Duration stable = duration("stableWindow", a.stableWindow(), false);
        Duration panic = duration("panicWindow", a.panicWindow(), false);
        if (panic.compareTo(stable) > 0) {
            throw new IllegalArgumentException("spec.autoscaling.panicWindow (" + a.panicWindow()
                    + ") must not be longer than stableWindow (" + a.stableWindow() + ")");
        }
        Duration delay = duration("scaleDownDelay", a.scaleDownDelay(), true);
        return new Policy(a.minReplicas(), a.maxReplicas(), a.targetUtilization(), spec.concurrency(),
                stable, panic, delay);
    }

    /** Why the spec's autoscaling cannot run, if it cannot. */
    public static Optional<String> problem(ProxiedAppSpec spec) {
        try {
            of(spec);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** Kubernetes' durations, as everywhere in the spec ({@link Durations}): 500ms, 6s, 1.5m, 1h30m. */
    static Duration duration(String field, String value, boolean zeroAllowed) {
        Duration d;
        try {
            d = Durations.parse(value == null ? "" : value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("spec.autoscaling." + field + ": '" + value
                    + "' is not a duration such as 500ms, 6s or 1m", e);
        }
        if (d.isNegative() || d.isZero() && !zeroAllowed) {
            throw new IllegalArgumentException("spec.autoscaling." + field + " must be more than 0");
        }
        return d;
    }
}
