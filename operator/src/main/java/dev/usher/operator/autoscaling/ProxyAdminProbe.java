package dev.usher.operator.autoscaling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.operator.dependent.ProxyConfigFile;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.proxy.config.HostPort;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads each proxy's {@code /upstreams} on its admin port, at the pod's IP, all proxies at once: the
 * sum over its upstreams of {@code inFlight}, plus {@code queued} (present when the proxy has a
 * concurrency limit), is that proxy's demand. The same document that a person reads to see the pool,
 * so the autoscaler sees exactly what they see.
 */
public final class ProxyAdminProbe implements DemandSource {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyAdminProbe.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Well within the autoscaler's period, so that one slow proxy never delays the next round. */
    static final Duration TIMEOUT = Duration.ofMillis(1000);

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT)
            .build();
    private final int port;

    public ProxyAdminProbe() {
        this(ProxyConfigFile.ADMIN_PORT);
    }

    ProxyAdminProbe(int port) {
        this.port = port;
    }

    @Override
    public CompletableFuture<OptionalDouble> demand(ProxiedApp app, List<ProxyEndpoint> proxies) {
        if (proxies.stream().noneMatch(ProxyEndpoint::ready)) {
            return CompletableFuture.completedFuture(OptionalDouble.empty());
        }
        List<CompletableFuture<Double>> answers = new ArrayList<>();
        for (ProxyEndpoint proxy : proxies) {
            HttpRequest request = HttpRequest.newBuilder(
                            URI.create("http://" + new HostPort(proxy.ip(), port) + "/upstreams"))
                    .timeout(TIMEOUT).GET().build();
            answers.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .thenApply(ProxyAdminProbe::parse)
                    .exceptionally(e -> {
                        if (proxy.ready()) {
                            LOG.debug("{}/{}: proxy {} did not answer: {}", app.getMetadata().getNamespace(),
                                    app.getMetadata().getName(), proxy.ip(), cause(e));
                        }
                        return proxy.ready() ? Double.NaN : 0.0;
                    }));
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(done -> {
            double sum = 0;
            for (CompletableFuture<Double> answer : answers) {
                double d = answer.join();
                if (Double.isNaN(d)) {
                    return OptionalDouble.empty();
                }
                sum += d;
            }
            return OptionalDouble.of(sum);
        });
    }

    /** One proxy's demand from its /upstreams document. */
    static double parse(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new CompletionException(new IOException("/upstreams answered " + response.statusCode()));
        }
        try {
            return parse(response.body());
        } catch (IOException e) {
            throw new CompletionException(e);
        }
    }

    static double parse(String body) throws IOException {
        JsonNode root = JSON.readTree(body);
        if (!root.path("upstreams").isArray()) {
            throw new IOException("no upstreams list in /upstreams");
        }
        double demand = root.path("queued").asDouble(0);
        for (JsonNode upstream : root.path("upstreams")) {
            demand += upstream.path("inFlight").asDouble(0);
        }
        return demand;
    }

    private static String cause(Throwable e) {
        Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return c.toString();
    }
}
