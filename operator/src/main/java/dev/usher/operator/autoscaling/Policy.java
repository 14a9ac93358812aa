package dev.usher.operator.autoscaling;

import dev.usher.operator.resource.Autoscaling;
import dev.usher.operator.resource.ProxiedAppSpec;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One app's autoscaling settings, checked and in the units the decision uses.
 *
 * @param concurrency requests one backend pod serves at once (spec.concurrency)
 */
public record Policy(int minReplicas, int maxReplicas, double targetUtilization, int concurrency,
                     Duration stableWindow, Duration panicWindow, Duration scaleDownDelay) {

    /** Demand at least this many times the current capacity panics, as Knative's default (200%). */
    public static final double PANIC_THRESHOLD = 2.0;

    private static final Pattern DURATION = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

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
        Duration stable = duration("stableWindow", a.stableWindow());
        Duration panic = duration("panicWindow", a.panicWindow());
        if (panic.compareTo(stable) > 0) {
            throw new IllegalArgumentException("spec.autoscaling.panicWindow (" + a.panicWindow()
                    + ") must not be longer than stableWindow (" + a.stableWindow() + ")");
        }
        Duration delay = a.scaleDownDelay().matches("0+(\\.0+)?(ms|s|m|h)") ? Duration.ZERO
                : duration("scaleDownDelay", a.scaleDownDelay());
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

    /** The proxy's duration format (Quantities.DURATION_PATTERN): 500ms, 6s, 1.5m, 1h; more than 0. */
    static Duration duration(String field, String value) {
        Matcher m = DURATION.matcher(value == null ? "" : value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("spec.autoscaling." + field + ": '" + value
                    + "' is not a duration such as 500ms, 6s or 1m");
        }
        BigDecimal unit = BigDecimal.valueOf(switch (m.group(2)) {
            case "ms" -> 1L;
            case "s" -> 1_000L;
            case "m" -> 60_000L;
            default -> 3_600_000L;
        });
        Duration d = Duration.ofMillis(new BigDecimal(m.group(1)).multiply(unit).longValue());
        if (d.isZero()) {
            throw new IllegalArgumentException("spec.autoscaling." + field + " must be more than 0");
        }
        return d;
    }
}
