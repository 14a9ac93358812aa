package dev.usher.proxy.discovery;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * Which port of an EndpointSlice to send to. A slice lists its ports under the Service port's name with the
 * endpoints' (target) port number, so a name is matched by name and a number by the endpoints' port; with
 * neither, the slice must carry exactly one TCP port. Slices of one Service may differ, so each is resolved alone.
 */
record ServicePort(String spec) {

    /** The port number to use for endpoints of a slice with these ports, if the slice has it. */
    OptionalInt resolve(List<EndpointPort> ports) {
        List<EndpointPort> tcp = tcp(ports);
        if (spec == null) {
            return tcp.size() == 1 ? OptionalInt.of(tcp.get(0).getPort()) : OptionalInt.empty();
        }
        boolean byNumber = spec.chars().allMatch(Character::isDigit);
        for (EndpointPort p : tcp) {
            if (byNumber ? String.valueOf(p.getPort()).equals(spec) : spec.equals(p.getName())) {
                return OptionalInt.of(p.getPort());
            }
        }
        return OptionalInt.empty();
    }

    /** Why {@link #resolve} found nothing, for the log. */
    String problem(List<EndpointPort> ports) {
        String has = tcp(ports).stream()
                .map(p -> (p.getName() == null || p.getName().isEmpty() ? "" : p.getName() + "=") + p.getPort())
                .collect(Collectors.joining(", ", "[", "]"));
        return spec == null
                ? "has TCP ports " + has + ": set upstream.kubernetes.port to choose one"
                : "has no TCP port " + spec + " (ports: " + has + ")";
    }

    /** Ports the proxy can use: TCP (the default protocol) with a number; a nil number means "all ports". */
    private static List<EndpointPort> tcp(List<EndpointPort> ports) {
        if (ports == null) {
            return List.of();
        }
        return ports.stream()
                .filter(p -> p.getPort() != null && (p.getProtocol() == null || p.getProtocol().equals("TCP")))
                .toList();
    }
}
