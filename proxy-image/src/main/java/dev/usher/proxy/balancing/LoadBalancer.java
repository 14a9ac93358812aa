package dev.usher.proxy.balancing;

import dev.usher.proxy.config.LoadBalancing;
import dev.usher.proxy.endpoints.Upstream;
import java.util.List;
import java.util.function.Predicate;

/**
 * Chooses the upstream for one request. Implementations are shared by all event loops. Adding one: a constant in
 * {@link LoadBalancing}, a class here, and its line in {@link #of}, which the compiler makes sure of.
 */
public interface LoadBalancer {

    /** One of {@code candidates} that {@code eligible} accepts, or null when none does. */
    Upstream pick(List<Upstream> candidates, Predicate<Upstream> eligible);

    /** The algorithm, with slow start around it. */
    static LoadBalancer of(LoadBalancing algorithm, SlowStart slowStart) {
        LoadBalancer balancer = switch (algorithm) {
            case ROUND_ROBIN -> new RoundRobin();
            case LEAST_REQUEST -> new LeastRequest();
        };
        return slowStart.around(balancer);
    }
}
