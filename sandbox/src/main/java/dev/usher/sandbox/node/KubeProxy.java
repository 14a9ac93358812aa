package dev.usher.sandbox.node;

import dev.usher.sandbox.network.Relay;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stand-in for kube-proxy: each TCP port of each Service with a cluster IP is a listener on that
 * ClusterIP:port, in the node's network namespace where the whole service CIDR is local, that
 * forwards each connection to a ready endpoint of the Service's EndpointSlices, round robin (serving
 * terminating endpoints when none is ready, as kube-proxy does). The same port is also a unix socket
 * in the services folder, which the host side relays to a 127.0.0.1 port.
 */
final class KubeProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KubeProxy.class);
    private static final String SERVICE_NAME = "kubernetes.io/service-name";

    /** One Service port: its two listeners and where they forward to. */
    private static final class Port {
        final List<Relay> relays = new ArrayList<>();
        final AtomicInteger next = new AtomicInteger();
        volatile List<InetSocketAddress> endpoints = List.of();

        SocketAddress pick() {
            List<InetSocketAddress> now = endpoints;
            return now.isEmpty() ? null : now.get(Math.floorMod(next.getAndIncrement(), now.size()));
        }
    }

    private final KubernetesClient client;
    private final Path servicesDir;
    private final Set<String> skip;
    private final Map<String, Port> ports = new ConcurrentHashMap<>();

    /** @param skip Services (namespace/name) that are served otherwise, i.e. default/kubernetes */
    KubeProxy(KubernetesClient client, Path servicesDir, Set<String> skip) {
        this.client = client;
        this.servicesDir = servicesDir;
        this.skip = skip;
    }

    void pass() {
        List<EndpointSlice> slices = client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems();
        Set<String> seen = new HashSet<>();
        for (Service s : client.services().inAnyNamespace().list().getItems()) {
            String ip = s.getSpec().getClusterIP();
            String service = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
            if (ip == null || ip.isEmpty() || "None".equals(ip) || skip.contains(service)) {
                continue;
            }
            for (ServicePort sp : s.getSpec().getPorts()) {
                if (sp.getProtocol() != null && !"TCP".equals(sp.getProtocol())) {
                    continue;
                }
                String key = s.getMetadata().getNamespace() + "." + s.getMetadata().getName() + "." + sp.getPort();
                Port port = ports.get(key);
                if (port == null) {
                    port = open(key, ip, sp.getPort());
                    if (port == null) {
                        continue;
                    }
                }
                seen.add(key);
                List<InetSocketAddress> endpoints = endpoints(s, sp, slices);
                if (!endpoints.equals(port.endpoints)) {
                    LOG.info("service {} {}:{} -> {}", service, ip, sp.getPort(), endpoints);
                    port.endpoints = endpoints;
                }
            }
        }
        for (String key : Set.copyOf(ports.keySet())) {
            if (!seen.contains(key)) {
                ports.remove(key).relays.forEach(Relay::close);
            }
        }
    }

    private Port open(String key, String ip, int number) {
        Port port = new Port();
        try {
            port.relays.add(Relay.tcp(key, new InetSocketAddress(ip, number), port::pick));
            port.relays.add(Relay.unix(key, servicesDir.resolve(key + ".sock"), port::pick));
        } catch (IOException e) {
            LOG.warn("service port {} ({}:{}): {}", key, ip, number, e.toString());
            port.relays.forEach(Relay::close);
            return null;
        }
        ports.put(key, port);
        return port;
    }

    private static List<InetSocketAddress> endpoints(Service s, ServicePort sp, List<EndpointSlice> slices) {
        List<InetSocketAddress> ready = new ArrayList<>();
        List<InetSocketAddress> serving = new ArrayList<>();
        for (EndpointSlice slice : slices) {
            if (!Objects.equals(slice.getMetadata().getNamespace(), s.getMetadata().getNamespace())
                    || slice.getMetadata().getLabels() == null
                    || !s.getMetadata().getName().equals(slice.getMetadata().getLabels().get(SERVICE_NAME))
                    || slice.getPorts() == null || slice.getEndpoints() == null) {
                continue;
            }
            Integer target = slice.getPorts().stream().filter(p -> Objects.equals(p.getName(), sp.getName()))
                    .map(EndpointPort::getPort).filter(Objects::nonNull).findFirst().orElse(null);
            if (target == null) {
                continue;
            }
            for (Endpoint e : slice.getEndpoints()) {
                var c = e.getConditions();
                InetSocketAddress address = new InetSocketAddress(e.getAddresses().get(0), target);
                if (c == null || !Boolean.FALSE.equals(c.getReady())) {
                    ready.add(address);
                } else if (Boolean.TRUE.equals(c.getServing())) {
                    serving.add(address);
                }
            }
        }
        ready.sort(Comparator.comparing(InetSocketAddress::toString));
        serving.sort(Comparator.comparing(InetSocketAddress::toString));
        return ready.isEmpty() ? serving : ready;
    }

    @Override
    public void close() {
        ports.values().forEach(p -> p.relays.forEach(Relay::close));
        ports.clear();
    }
}
