package dev.usher.proxy.config;

import java.nio.file.Path;
import java.util.List;

/**
 * Where upstreams come from and how the proxy speaks to them. Exactly one source is set: a static list, or
 * {@code kubernetes} (null when static). {@code uwsgi} applies to the uwsgi protocol. {@code concurrency} is how
 * many requests one upstream takes at once (a uWSGI's process count); 0 means no limit.
 */
public record UpstreamConfig(BackendProtocolName protocol, List<HostPort> staticUpstreams, Kubernetes kubernetes,
                             UwsgiSettings uwsgi, int concurrency) {

    public UpstreamConfig {
        staticUpstreams = List.copyOf(staticUpstreams);
    }

    /**
     * Follow the EndpointSlices of one Service. {@code port} is the Service port's name or the endpoints' port
     * number, null when the slices carry a single port; {@code kubeconfig} null means auto-configuration.
     */
    public record Kubernetes(String namespace, String service, String port, Path kubeconfig) {}

    /** The wire protocol between proxy and backend; the client side is always HTTP/1.1. */
    public enum BackendProtocolName {
        HTTP,
        /** The binary protocol of nginx's {@code uwsgi_pass}, spoken to uWSGI servers. */
        UWSGI;

        static BackendProtocolName parse(String text) {
            for (BackendProtocolName p : values()) {
                if (p.name().equalsIgnoreCase(text)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("'" + text + "' is not a protocol: use http or uwsgi");
        }
    }
}
