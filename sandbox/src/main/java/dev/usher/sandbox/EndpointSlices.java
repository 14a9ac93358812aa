package dev.usher.sandbox;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Stand-in for the EndpointSlice controller: one slice per Service with a selector, named
 * {@code <service>-sandbox}, labelled like the Service plus {@code kubernetes.io/service-name}, listing each selected Pod
 * that has an IP with the conditions Kubernetes derives: ready (Ready and not terminating), serving
 * (Ready) and terminating.
 */
final class EndpointSlices {

    static final String SERVICE_NAME = "kubernetes.io/service-name";

    private final KubernetesClient client;

    EndpointSlices(KubernetesClient client) {
        this.client = client;
    }

    void pass() {
        List<Pod> pods = client.pods().inAnyNamespace().list().getItems();
        for (Service s : client.services().inAnyNamespace().list().getItems()) {
            Map<String, String> selector = s.getSpec().getSelector();
            if (selector == null || selector.isEmpty()) {
                continue;
            }
            List<Pod> selected = pods.stream()
                    .filter(p -> Objects.equals(p.getMetadata().getNamespace(), s.getMetadata().getNamespace()))
                    .filter(p -> p.getMetadata().getLabels() != null
                            && p.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                    .filter(p -> Pods.ip(p) != null)
                    .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                    .toList();
            write(s, selected);
        }
    }

    private void write(Service s, List<Pod> pods) {
        String ns = s.getMetadata().getNamespace();
        String name = s.getMetadata().getName() + "-sandbox";
        List<EndpointPort> ports = s.getSpec().getPorts().stream().map(p -> port(p, pods)).toList();
        List<Endpoint> endpoints = pods.stream().map(EndpointSlices::endpoint).toList();
        // The real controller copies the Service's labels: the operator finds its slices by them.
        Map<String, String> labels = new HashMap<>(Objects.requireNonNullElse(s.getMetadata().getLabels(), Map.of()));
        EndpointSlice existing = client.discovery().v1().endpointSlices().inNamespace(ns).withName(name).get();
        if (existing == null) {
            client.resource(new EndpointSliceBuilder()
                    .withNewMetadata()
                        .withName(name).withNamespace(ns)
                        .withLabels(labels)
                        .addToLabels(SERVICE_NAME, s.getMetadata().getName())
                        .addToLabels("endpointslice.kubernetes.io/managed-by", "sandbox.usher.dev")
                        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Service")
                                .withName(s.getMetadata().getName()).withUid(s.getMetadata().getUid()).withController(true).build())
                    .endMetadata()
                    .withAddressType("IPv4")
                    .withPorts(ports)
                    .withEndpoints(endpoints)
                    .build()).create();
        } else if (!ports.equals(existing.getPorts()) || !endpoints.equals(existing.getEndpoints())) {
            client.discovery().v1().endpointSlices().inNamespace(ns).withName(name).edit(e -> {
                e.setPorts(ports);
                e.setEndpoints(endpoints);
                return e;
            });
        }
    }

    private static Endpoint endpoint(Pod p) {
        boolean ready = Pods.ready(p);
        boolean terminating = Pods.terminating(p);
        return new EndpointBuilder()
                .withAddresses(Pods.ip(p))
                .withNewConditions().withReady(ready && !terminating).withServing(ready).withTerminating(terminating).endConditions()
                .withTargetRef(new ObjectReferenceBuilder().withKind("Pod").withNamespace(p.getMetadata().getNamespace())
                        .withName(p.getMetadata().getName()).withUid(p.getMetadata().getUid()).build())
                .build();
    }

    /** The endpoints' port is the Pods' port: a named targetPort is looked up in the first Pod that has it. */
    private static EndpointPort port(ServicePort sp, List<Pod> pods) {
        IntOrString target = sp.getTargetPort() == null ? new IntOrString(sp.getPort()) : sp.getTargetPort();
        Integer number = target.getIntVal();
        if (number == null) {
            number = pods.stream()
                    .flatMap(p -> p.getSpec().getContainers().stream())
                    .flatMap(c -> c.getPorts().stream())
                    .filter(cp -> target.getStrVal().equals(cp.getName()))
                    .map(ContainerPort::getContainerPort)
                    .findFirst().orElse(null);
        }
        return new EndpointPortBuilder().withName(sp.getName()).withProtocol("TCP").withPort(number).build();
    }
}
