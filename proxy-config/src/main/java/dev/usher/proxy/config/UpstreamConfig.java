package dev.usher.proxy.config;

import static dev.usher.proxy.config.ConfigOption.of;
import static dev.usher.proxy.config.ConfigOption.range;
import static dev.usher.proxy.config.ConfigOption.required;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where upstreams come from and how the proxy speaks to them. Exactly one source is set: a static list, or
 * {@code kubernetes} (null when static). {@code uwsgi} applies to the uwsgi protocol.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record UpstreamConfig(
        BackendProtocolName protocol,
        @JsonProperty("static") List<HostPort> staticUpstreams,
        Kubernetes kubernetes,
        UwsgiSettings uwsgi,
        Integer concurrency) {

    static final ConfigOption<BackendProtocolName> PROTOCOL = of("upstream.protocol", BackendProtocolName.HTTP,
            "http | uwsgi: how to speak to upstreams");
    static final ConfigOption<List<HostPort>> STATIC = of("upstream.static", null,
            "static upstreams, HOST:PORT each; the flag repeats for more");
    static final ConfigOption<Integer> CONCURRENCY = range("upstream.concurrency", 0, 0, 100_000,
            "requests one upstream takes at once, e.g. its uWSGI processes; more wait in the queue (0 = no limit)");

    public UpstreamConfig {
        protocol = PROTOCOL.of(protocol);
        if (staticUpstreams != null && kubernetes != null) {
            throw ConfigException.at("upstream", "give either upstream.static or upstream.kubernetes, not both");
        }
        if (staticUpstreams == null && kubernetes == null) {
            throw ConfigException.at("upstream", "no upstreams: give upstream.static (--upstream HOST:PORT) or "
                    + "upstream.kubernetes (--discovery kubernetes --namespace NS --service NAME)");
        }
        if (staticUpstreams != null && staticUpstreams.isEmpty()) {
            throw ConfigException.at(STATIC.key(), "no upstreams: give at least one (--upstream HOST:PORT)");
        }
        staticUpstreams = staticUpstreams != null ? List.copyOf(staticUpstreams) : List.of();
        uwsgi = uwsgi != null ? uwsgi : UwsgiSettings.DEFAULTS;
        concurrency = CONCURRENCY.of(concurrency);
    }

    /**
     * Follow the EndpointSlices of one Service. {@code port} is the Service port's name or the endpoints' port
     * number, null when the slices carry a single port; {@code kubeconfig} null means auto-configuration.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Kubernetes(String namespace, String service, String port, Path kubeconfig) {

        static final ConfigOption<String> NAMESPACE = required("upstream.kubernetes.namespace",
                "the Service's namespace");
        static final ConfigOption<String> SERVICE = required("upstream.kubernetes.service",
                "the Service whose EndpointSlices are the upstreams");
        static final ConfigOption<String> PORT = new ConfigOption<>("upstream.kubernetes.port", null, false,
                "its port name, or the endpoints' port number; optional when the slices have a single port",
                v -> v.isBlank() ? "must not be empty: a port name or number, or leave it out" : null);
        static final ConfigOption<Path> KUBECONFIG = of("upstream.kubernetes.kubeconfig", null,
                "default: KUBECONFIG or ~/.kube/config if present, else the pod's service account");

        public Kubernetes {
            namespace = NAMESPACE.of(namespace);
            service = SERVICE.of(service);
            port = PORT.of(port);
            kubeconfig = KUBECONFIG.of(kubeconfig);
        }
    }

    /** The wire protocol between proxy and backend; the client side is always HTTP/1.1. */
    public enum BackendProtocolName {
        HTTP,
        /** The binary protocol of nginx's {@code uwsgi_pass}, spoken to uWSGI servers. */
        UWSGI;

        @JsonCreator
        static BackendProtocolName parse(String text) {
            for (BackendProtocolName p : values()) {
                if (p.name().equalsIgnoreCase(text)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("'" + text + "' is not a protocol: use http or uwsgi");
        }

        @JsonValue
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
