package dev.usher.sandbox;

import dev.usher.sandbox.network.Relay;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's side of each Service: a port on 127.0.0.1 relayed to the unix socket where the
 * kube-proxy stand-in serves that Service inside the sandbox's network namespace. The host never
 * sends anything to a cluster or pod address; it only sees these ports.
 */
final class HostPorts implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HostPorts.class);

    private final KubernetesClient client;
    private final Path servicesDir;
    private final Map<String, Relay> relays = new ConcurrentHashMap<>();

    HostPorts(KubernetesClient client, Path servicesDir) {
        this.client = client;
        this.servicesDir = servicesDir;
    }

    void pass() {
        Set<String> seen = new HashSet<>();
        for (Service s : client.services().inAnyNamespace().list().getItems()) {
            for (ServicePort sp : s.getSpec().getPorts() == null ? List.<ServicePort>of() : s.getSpec().getPorts()) {
                String key = key(s.getMetadata().getNamespace(), s.getMetadata().getName(), sp.getPort());
                Path socket = servicesDir.resolve(key + ".sock");
                if (!Files.exists(socket)) {
                    continue;
                }
                seen.add(key);
                relays.computeIfAbsent(key, k -> open(k, socket));
            }
        }
        for (String key : Set.copyOf(relays.keySet())) {
            if (!seen.contains(key)) {
                relays.remove(key).close();
            }
        }
    }

    private static Relay open(String key, Path socket) {
        try {
            Relay relay = Relay.tcp(key, new InetSocketAddress("127.0.0.1", 0), () -> UnixDomainSocketAddress.of(socket));
            LOG.info("service {}: http://127.0.0.1:{}/", key, relay.port());
            return relay;
        } catch (IOException e) {
            throw new UncheckedIOException(key, e);
        }
    }

    /** The 127.0.0.1 port of a Service's port, once the kube-proxy stand-in serves it. */
    OptionalInt port(String namespace, String service, int port) {
        Relay relay = relays.get(key(namespace, service, port));
        return relay == null ? OptionalInt.empty() : OptionalInt.of(relay.port());
    }

    private static String key(String namespace, String service, int port) {
        return namespace + "." + service + "." + port;
    }

    @Override
    public void close() {
        relays.values().forEach(Relay::close);
        relays.clear();
    }
}
