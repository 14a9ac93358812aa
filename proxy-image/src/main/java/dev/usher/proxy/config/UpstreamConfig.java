package dev.usher.proxy.config;

import java.util.List;

/** Where upstreams come from and how the proxy speaks to them. */
public record UpstreamConfig(BackendProtocolName protocol, List<HostPort> staticUpstreams) {

    public UpstreamConfig {
        staticUpstreams = List.copyOf(staticUpstreams);
    }

    /** The wire protocol between proxy and backend; the client side is always HTTP/1.1. */
    public enum BackendProtocolName {
        HTTP;

        static BackendProtocolName parse(String text) {
            for (BackendProtocolName p : values()) {
                if (p.name().equalsIgnoreCase(text)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("'" + text + "' is not a protocol: use http");
        }
    }
}
