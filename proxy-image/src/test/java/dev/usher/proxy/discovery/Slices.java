package dev.usher.proxy.discovery;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.util.List;

/** EndpointSlices as the EndpointSlice controller writes them, for service {@code shop-backend} in {@code default}. */
final class Slices {
    static final String NAMESPACE = "default";
    static final String SERVICE = "shop-backend";

    private Slices() {}

    static EndpointSlice slice(String name, List<EndpointPort> ports, Endpoint... endpoints) {
        return slice(name, "IPv4", ports, endpoints);
    }

    static EndpointSlice slice(String name, String addressType, List<EndpointPort> ports, Endpoint... endpoints) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE)
                .addToLabels(KubernetesSource.SERVICE_LABEL, SERVICE).endMetadata()
                .withAddressType(addressType)
                .withPorts(ports)
                .withEndpoints(endpoints)
                .build();
    }

    static List<EndpointPort> http(int port) {
        return List.of(port("http", port));
    }

    static EndpointPort port(String name, int port) {
        return new EndpointPortBuilder().withName(name).withPort(port).withProtocol("TCP").build();
    }

    static Endpoint ready(String ip) {
        return endpoint(ip, true, true, false);
    }

    /** Shutting down, still serving its requests. */
    static Endpoint terminating(String ip) {
        return endpoint(ip, false, true, true);
    }

    static Endpoint notReady(String ip) {
        return endpoint(ip, false, false, false);
    }

    static Endpoint endpoint(String ip, Boolean ready, Boolean serving, Boolean terminating) {
        return new EndpointBuilder().withAddresses(ip)
                .withNewConditions().withReady(ready).withServing(serving).withTerminating(terminating).endConditions()
                .build();
    }

    /** Create or replace, as the controller does. */
    static void put(KubernetesClient client, EndpointSlice slice) {
        client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(slice)
                .createOr(NonDeletingOperation::update);
    }

    static void delete(KubernetesClient client, String name) {
        client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).withName(name).delete();
    }
}
