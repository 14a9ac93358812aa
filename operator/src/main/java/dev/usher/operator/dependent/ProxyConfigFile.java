package dev.usher.operator.dependent;

import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.resource.ProxySpec;
import dev.usher.proxy.config.ConfigException;
import dev.usher.proxy.config.Durations;
import dev.usher.proxy.config.HostPort;
import dev.usher.proxy.config.LoadBalancing;
import dev.usher.proxy.config.ProxyConfig;
import dev.usher.proxy.config.ProxyConfigYaml;
import dev.usher.proxy.config.Sizes;
import dev.usher.proxy.config.UpstreamConfig;
import dev.usher.proxy.config.UpstreamConfig.BackendProtocolName;
import java.time.Duration;
import java.util.function.Function;

/**
 * The proxy's {@code proxy.yaml}: a {@link ProxyConfig} built from the app's spec, written in the schema the proxy
 * reads (the same records), with every key, so that the ConfigMap shows all the proxy runs with. Rendered once per
 * reconcile, for the ConfigMap and for the checksum that rolls the proxy pods when it changes. The proxy finds its
 * upstreams itself, from the EndpointSlices of the backend Service; the operator is not in the data path.
 */
public record ProxyConfigFile(String text, String checksum) {

    public static final String KEY = "proxy.yaml";
    public static final String MOUNT_PATH = "/etc/usher";
    public static final int HTTP_PORT = 8080;
    public static final int ADMIN_PORT = 9901;
    /** The backend Service's port name, which the proxy looks up in the EndpointSlices. */
    public static final String BACKEND_PORT_NAME = "http";
    /**
     * After SIGTERM the proxy answers /readyz with 503 at once and keeps its listener open this long,
     * so that every client has seen the endpoint go before it closes: the job of a preStop sleep.
     */
    public static final Duration SHUTDOWN_DELAY = Duration.ofSeconds(5);
    /** Then requests in flight get this long to finish. */
    public static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    /** Throws {@link ConfigException} for a value the proxy would refuse, naming the field or the proxy's key. */
    public static ProxyConfigFile of(ProxiedApp app) {
        String text = ProxyConfigYaml.write(config(app));
        return new ProxyConfigFile(text, Checksums.sha256(text));
    }

    static ProxyConfig config(ProxiedApp app) {
        ProxySpec proxy = app.getSpec().proxy();
        Integer concurrency = app.getSpec().concurrency();
        UpstreamConfig upstream = new UpstreamConfig(
                BackendProtocolName.valueOf(app.getSpec().protocol().name()),
                null,
                new UpstreamConfig.Kubernetes(app.getMetadata().getNamespace(), Names.backendService(app),
                        BACKEND_PORT_NAME, null),
                null,
                concurrency);
        return new ProxyConfig(
                new HostPort("0.0.0.0", HTTP_PORT),
                new HostPort("0.0.0.0", ADMIN_PORT),
                null,
                null,
                upstream,
                LoadBalancing.valueOf(proxy.loadBalancing().name()),
                null,
                new ProxyConfig.Limits(parse("spec.proxy.maxBodySize", proxy.maxBodySize(), Sizes::parse),
                        null, null, null, null),
                new ProxyConfig.Timeouts(
                        parse("spec.proxy.timeouts.connect", proxy.timeouts().connect(), Durations::parse),
                        parse("spec.proxy.timeouts.response", proxy.timeouts().response(), Durations::parse),
                        parse("spec.proxy.timeouts.idle", proxy.timeouts().idle(), Durations::parse),
                        null, null),
                new ProxyConfig.Retries(proxy.retries().attempts(), null, null),
                null,
                null,
                null,
                new ProxyConfig.Buffering(proxy.buffering().request(), null, null,
                        parse("spec.proxy.buffering.response", proxy.buffering().response(), Sizes::parse)),
                new ProxyConfig.Shutdown(SHUTDOWN_DELAY, DRAIN_TIMEOUT),
                null,
                null,
                null);
    }

    private static <T> T parse(String field, String text, Function<String, T> parser) {
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw ConfigException.at(field, e.getMessage());
        }
    }
}
