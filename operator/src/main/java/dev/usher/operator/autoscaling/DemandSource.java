package dev.usher.operator.autoscaling;

import dev.usher.operator.resource.ProxiedApp;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;

/** Where the autoscaler's demand comes from: the proxies' admin ports in a cluster, a stand-in in tests. */
public interface DemandSource {

    /**
     * Requests in flight and queued at the app's proxies now, summed; empty when a ready proxy did not
     * answer, since a partial sum would look like a fall in demand and scale the app down. Asynchronous,
     * so that the autoscaler asks every app's proxies at once and a slow one costs a round one timeout at
     * most, not one per app.
     *
     * @param proxies the app's proxy pods, from the EndpointSlices of its Service
     */
    CompletableFuture<OptionalDouble> demand(ProxiedApp app, List<ProxyEndpoint> proxies);

    /** One proxy pod: its address and whether it is ready (a starting or stopping one may not answer). */
    record ProxyEndpoint(String ip, boolean ready) {
    }
}
