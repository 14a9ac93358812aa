package dev.usher.proxy.balancing;

import dev.usher.proxy.pool.Upstream;
import java.util.List;
import java.util.function.Predicate;

/** Chooses the upstream for one request. Implementations are shared by all event loops. */
public interface LoadBalancer {

    /** One of {@code candidates} that {@code eligible} accepts, or null when none does. */
    Upstream pick(List<Upstream> candidates, Predicate<Upstream> eligible);

    static LoadBalancer named(String name, SlowStart slowStart) {
        return switch (name) {
            case "round-robin" -> new RoundRobin(slowStart);
            case "least-request" -> new LeastRequest(slowStart);
            default -> throw new IllegalArgumentException("unknown load balancer " + name);
        };
    }
}
