package dev.usher.operator.dependent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.resource.ProxySpec;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The proxy's {@code proxy.yaml}, in the schema the proxy reads (an unknown key stops it, so nothing
 * else is written). The proxy finds its upstreams itself, from the EndpointSlices of the backend
 * Service; the operator is not in the data path.
 */
public final class ProxyConfigFile {

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
    public static final int SHUTDOWN_DELAY_SECONDS = 5;
    /** Then requests in flight get this long to finish. */
    public static final int DRAIN_TIMEOUT_SECONDS = 30;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private ProxyConfigFile() {
    }

    public static String render(ProxiedApp app) {
        ProxySpec proxy = app.getSpec().proxy();
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("listen", "0.0.0.0:" + HTTP_PORT);
        file.put("admin", "0.0.0.0:" + ADMIN_PORT);
        Map<String, Object> upstream = map(
                "protocol", app.getSpec().protocol(),
                "kubernetes", map(
                        "namespace", app.getMetadata().getNamespace(),
                        "service", Names.backendService(app),
                        "port", BACKEND_PORT_NAME));
        Integer concurrency = app.getSpec().concurrency();
        if (concurrency != null && concurrency > 0) {
            upstream.put("concurrency", concurrency);
        }
        file.put("upstream", upstream);
        file.put("loadBalancing", proxy.loadBalancing());
        file.put("timeouts", map(
                "connect", proxy.timeouts().connect(),
                "response", proxy.timeouts().response(),
                "idle", proxy.timeouts().idle()));
        file.put("retries", map("attempts", proxy.retries().attempts()));
        file.put("limits", map("maxBodySize", proxy.maxBodySize()));
        Map<String, Object> buffering = map("response", proxy.buffering().response());
        if (proxy.buffering().request() != null) {
            buffering.put("request", proxy.buffering().request());
        }
        file.put("buffering", buffering);
        file.put("shutdown", map(
                "delay", SHUTDOWN_DELAY_SECONDS + "s",
                "drainTimeout", DRAIN_TIMEOUT_SECONDS + "s"));
        try {
            return YAML.writeValueAsString(file);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
