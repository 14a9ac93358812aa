package dev.usher.proxy.discovery;

import dev.usher.proxy.endpoints.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/** Merges all EndpointSlices of one Service into one endpoint list: what the pool should hold. */
final class SliceMerger {
    private final ServicePort port;

    SliceMerger(ServicePort port) {
        this.port = port;
    }

    /**
     * {@code endpoints}: every endpoint by address:port, in slice order; an address in several slices (slices
     * overlap while Kubernetes rebalances them) keeps its best condition. {@code problems}: slices that
     * contributed nothing, and why.
     */
    record Merged(Map<InetSocketAddress, EndpointCondition> endpoints, Set<String> problems) {

        /** Ready endpoints take requests, terminating ones are fenced, the rest stay out (and so are removed). */
        List<Endpoint> poolEndpoints() {
            List<Endpoint> out = new ArrayList<>(endpoints.size());
            endpoints.forEach((address, condition) -> {
                if (condition.inPool()) {
                    out.add(new Endpoint(address, condition == EndpointCondition.READY));
                }
            });
            return out;
        }
    }

    Merged merge(Collection<EndpointSlice> slices) {
        Map<InetSocketAddress, EndpointCondition> endpoints = new LinkedHashMap<>();
        Set<String> problems = new TreeSet<>();
        for (EndpointSlice slice : slices) {
            if (slice.getEndpoints() == null || slice.getEndpoints().isEmpty()) {
                // A Service with no ready pod: the EndpointSlice controller writes "endpoints: null" and
                // "ports: null". Nothing to use, and nothing wrong.
                continue;
            }
            String name = slice.getMetadata().getName();
            String type = slice.getAddressType();
            if (!"IPv4".equals(type) && !"IPv6".equals(type)) {
                problems.add(name + ": addressType " + type + " is not supported (IPv4 and IPv6 are)");
                continue;
            }
            OptionalInt number = port.resolve(slice.getPorts());
            if (number.isEmpty()) {
                problems.add(name + ": " + port.problem(slice.getPorts()));
                continue;
            }
            for (var endpoint : slice.getEndpoints()) {
                if (endpoint.getAddresses() == null || endpoint.getAddresses().isEmpty()) {
                    continue;
                }
                // The addresses of one endpoint are one pod's, "fungible" per the API: the first stands for all.
                String text = endpoint.getAddresses().get(0);
                InetAddress address = literal(text);
                if (address == null) {
                    problems.add(name + ": '" + text + "' is not an IP address");
                    continue;
                }
                endpoints.merge(new InetSocketAddress(address, number.getAsInt()), condition(endpoint.getConditions()),
                        (a, b) -> a.compareTo(b) <= 0 ? a : b);
            }
        }
        return new Merged(endpoints, problems);
    }

    /**
     * The API's rules: a nil {@code ready} counts as true; {@code serving} is {@code ready} regardless of
     * termination, nil meaning "same as ready"; a terminating endpoint never takes new requests.
     */
    static EndpointCondition condition(EndpointConditions c) {
        boolean ready = c == null || c.getReady() == null || c.getReady();
        boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
        boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
        if (terminating) {
            return serving ? EndpointCondition.TERMINATING : EndpointCondition.NOT_READY;
        }
        return ready ? EndpointCondition.READY : EndpointCondition.NOT_READY;
    }

    /** Parses an IP literal without ever asking DNS, which InetAddress.getByName does for anything else. */
    static InetAddress literal(String text) {
        try {
            if (text.indexOf(':') >= 0) {
                // In brackets, getByName accepts only an IPv6 literal.
                return InetAddress.getByName("[" + text + "]");
            }
            String[] parts = text.split("\\.", -1);
            if (parts.length != 4) {
                return null;
            }
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                String part = parts[i];
                if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                    return null;
                }
                int value = Integer.parseInt(part);
                if (value > 255) {
                    return null;
                }
                bytes[i] = (byte) value;
            }
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
