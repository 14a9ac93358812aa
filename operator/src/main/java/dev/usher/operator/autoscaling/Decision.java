package dev.usher.operator.autoscaling;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Function;

/**
 * How many replicas one app needs, from samples of its demand (requests in flight plus queued, summed over
 * its proxies), after Knative's autoscaler: the average over a stable window sets the replicas; when the
 * average over the short panic window reaches {@link Policy#PANIC_THRESHOLD} times what the current
 * replicas serve, the app is in panic mode, follows the panic window and never scales down, until a whole
 * stable window passes without that. A scale-down goes no lower than the most replicas wanted over the
 * scale-down delay (a HorizontalPodAutoscaler's stabilization window), and only once the samples reach
 * that far back, so that a fresh start (a new leader) does not scale down on a few seconds of data.
 *
 * <p>Pure and single-threaded: time comes in with each call.
 */
public final class Decision {

    public enum Mode { STABLE, PANIC }

    /**
     * @param replicas     what the app should have now, within min and max
     * @param stableDemand average demand over the stable window
     * @param panicDemand  average demand over the panic window
     */
    public record Outcome(int replicas, Mode mode, double stableDemand, double panicDemand) {

        /** The demand that chose the replicas: the window of the mode. */
        public double demand() {
            return mode == Mode.PANIC ? panicDemand : stableDemand;
        }
    }

    private record Sample(Instant at, double value) {
    }

    private record Wanted(Instant at, int replicas) {
    }

    /** Slack for demand that is a whole multiple of the capacity, but not quite in floating point. */
    private static final double EPSILON = 1e-9;

    private final Policy policy;
    private final Deque<Sample> samples = new ArrayDeque<>();
    private final Deque<Wanted> wanted = new ArrayDeque<>();
    private Instant firstSample;
    private Mode mode = Mode.STABLE;
    private Instant lastOverThreshold;

    public Decision(Policy policy) {
        this.policy = policy;
    }

    public Policy policy() {
        return policy;
    }

    public void record(Instant at, double demand) {
        if (firstSample == null) {
            firstSample = at;
        }
        samples.addLast(new Sample(at, Math.max(0, demand)));
    }

    /** The replicas for now, given the replicas the app has (its spec.replicas). */
    public Outcome decide(Instant now, int current) {
        dropBefore(samples, now.minus(policy.stableWindow()), Sample::at);
        if (samples.isEmpty()) {
            // Nothing measured for a whole stable window (proxies unreachable): hold, in either direction.
            return new Outcome(clamp(current), mode, 0, 0);
        }
        double stable = average(now.minus(policy.stableWindow()));
        double panic = average(now.minus(policy.panicWindow()));
        double capacity = Math.max(current, 0) * policy.capacityPerPod();
        if (panic > 0 && panic >= Policy.PANIC_THRESHOLD * capacity - EPSILON) {
            mode = Mode.PANIC;
            lastOverThreshold = now;
        } else if (mode == Mode.PANIC && !now.isBefore(lastOverThreshold.plus(policy.stableWindow()))) {
            mode = Mode.STABLE;
        }
        int replicas = mode == Mode.PANIC
                ? Math.max(pods(panic), current)
                : pods(stable);
        replicas = clamp(replicas);
        wanted.addLast(new Wanted(now, replicas));
        dropBefore(wanted, now.minus(policy.scaleDownDelay()), Wanted::at);
        if (replicas < current) {
            boolean seenLongEnough = !now.isBefore(firstSample.plus(policy.scaleDownDelay()));
            int highest = wanted.stream().mapToInt(Wanted::replicas).max().orElse(replicas);
            // Above maxReplicas (a kubectl scale) comes down at once: the bound is not a scale-down decision.
            replicas = seenLongEnough ? Math.min(current, highest) : clamp(current);
        }
        return new Outcome(replicas, mode, stable, panic);
    }

    private int pods(double demand) {
        return (int) Math.ceil(demand / policy.capacityPerPod() - EPSILON);
    }

    private int clamp(int replicas) {
        return Math.min(policy.maxReplicas(), Math.max(policy.minReplicas(), replicas));
    }

    /** Mean of the samples since {@code from} (exclusive); those are the window's. */
    private double average(Instant from) {
        double sum = 0;
        int n = 0;
        for (Sample s : samples) {
            if (s.at().isAfter(from)) {
                sum += s.value();
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    private static <T> void dropBefore(Deque<T> queue, Instant from, Function<T, Instant> at) {
        while (!queue.isEmpty() && !at.apply(queue.peekFirst()).isAfter(from)) {
            queue.pollFirst();
        }
    }
}
