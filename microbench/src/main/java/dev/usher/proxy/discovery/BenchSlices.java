package dev.usher.proxy.discovery;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;

/**
 * EndpointSlices of Service {@code shop-backend} in {@code default}, as the EndpointSlice controller writes them.
 * Slice {@code s} holds endpoints 127.0.{s+1}.{e+1} on port 8000 named http: nothing connects to them.
 */
final class BenchSlices {
    static final String NAMESPACE = "default";
    static final String SERVICE = "shop-backend";

    private BenchSlices() {}

    static EndpointSlice slice(int s, boolean[] ready) {
        Endpoint[] endpoints = new Endpoint[ready.length];
        for (int e = 0; e < ready.length; e++) {
            endpoints[e] = new EndpointBuilder().withAddresses("127.0." + (s + 1) + "." + (e + 1))
                    .withNewConditions().withReady(ready[e]).withServing(ready[e]).withTerminating(false).endConditions()
                    .build();
        }
        return new EndpointSliceBuilder()
                .withNewMetadata().withName(SERVICE + "-" + s).withNamespace(NAMESPACE)
                .addToLabels(KubernetesSource.SERVICE_LABEL, SERVICE).endMetadata()
                .withAddressType("IPv4")
                .withPorts(new EndpointPortBuilder().withName("http").withPort(8000).withProtocol("TCP").build())
                .withEndpoints(endpoints)
                .build();
    }
}
