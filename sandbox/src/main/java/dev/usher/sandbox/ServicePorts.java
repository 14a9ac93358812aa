package dev.usher.sandbox;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stand-in for kube-proxy: each port of each Service with a cluster IP (not headless) gets a local
 * port on 127.0.0.1 that forwards to the ready endpoints of the Service's EndpointSlices.
 */
final class ServicePorts implements AutoCloseable {

    private final KubernetesClient client;
    private final Map<String, Forwarder> forwarders = new ConcurrentHashMap<>();

    ServicePorts(KubernetesClient client) {
        this.client = client;
    }

    void pass() {
        List<EndpointSlice> slices = client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems();
        Set<String> seen = new HashSet<>();
        for (Service s : client.services().inAnyNamespace().list().getItems()) {
            if ("None".equals(s.getSpec().getClusterIP())) {
                continue;
            }
            for (ServicePort port : s.getSpec().getPorts()) {
                String key = key(s.getMetadata().getNamespace(), s.getMetadata().getName(), port.getPort());
                seen.add(key);
                Forwarder f = forwarders.computeIfAbsent(key, k -> open(k));
                f.endpoints(ready(s, port, slices));
            }
        }
        forwarders.keySet().removeIf(key -> {
            if (seen.contains(key)) {
                return false;
            }
            forwarders.get(key).close();
            return true;
        });
    }

    /** The local port of a Service's port, once it has a ready endpoint to forward to. */
    OptionalInt localPort(String namespace, String service, int port) {
        Forwarder f = forwarders.get(key(namespace, service, port));
        return f == null || !f.hasEndpoints() ? OptionalInt.empty() : OptionalInt.of(f.port());
    }

    private static String key(String namespace, String service, int port) {
        return namespace + "/" + service + ":" + port;
    }

    private static Forwarder open(String key) {
        try {
            return new Forwarder(key, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(key, e);
        }
    }

    private static List<InetSocketAddress> ready(Service s, ServicePort port, List<EndpointSlice> slices) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (EndpointSlice slice : slices) {
            if (!Objects.equals(slice.getMetadata().getNamespace(), s.getMetadata().getNamespace())
                    || !s.getMetadata().getName().equals(slice.getMetadata().getLabels().get(EndpointSlices.SERVICE_NAME))) {
                continue;
            }
            Integer target = slice.getPorts().stream()
                    .filter(p -> Objects.equals(p.getName(), port.getName()))
                    .map(EndpointPort::getPort).filter(Objects::nonNull).findFirst().orElse(null);
            if (target == null) {
                continue;
            }
            slice.getEndpoints().stream()
                    .filter(e -> e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady()))
                    .forEach(e -> out.add(new InetSocketAddress(e.getAddresses().get(0), target)));
        }
        return out;
    }

    @Override
    public void close() {
        forwarders.values().forEach(Forwarder::close);
        forwarders.clear();
    }
}
