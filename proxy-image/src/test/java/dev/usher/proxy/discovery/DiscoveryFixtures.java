package dev.usher.proxy.discovery;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.proxy.endpoints.Upstream;
import dev.usher.proxy.testing.Http;
import dev.usher.proxy.testing.ProxyFixture;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** A proxy with Kubernetes discovery against a mock API server, and ways to look at its pool. */
final class DiscoveryFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DiscoveryFixtures() {}

    /** The proxy, following service {@code shop-backend} through the API server at 127.0.0.1:{@code apiPort}. */
    static ProxyFixture proxy(Path dir, int apiPort, String extraYaml) throws IOException {
        return new ProxyFixture("""
                upstream:
                  kubernetes:
                    namespace: %s
                    service: %s
                    port: http
                    kubeconfig: %s
                %s
                """.formatted(Slices.NAMESPACE, Slices.SERVICE, MockApiServer.kubeconfig(dir, apiPort), extraYaml));
    }

    /** The pool's upstreams in {@code state}, as {@code host:port}. */
    static Set<String> upstreams(ProxyFixture proxy, Upstream.State state) {
        return proxy.server().pool().snapshot().all().stream()
                .filter(u -> u.state() == state).map(Upstream::name)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    static void awaitReady(ProxyFixture proxy, String... hostPorts) {
        await().atMost(Duration.ofSeconds(10)).until(() -> upstreams(proxy, Upstream.State.ACTIVE).equals(Set.of(hostPorts)));
    }

    static JsonNode upstreamsJson(ProxyFixture proxy) throws IOException, InterruptedException {
        return JSON.readTree(Http.get(proxy.adminUri("/upstreams")).body());
    }

    /** The bodies of {@code n} GET /hello through the proxy: which backends answered. */
    static Set<String> answers(ProxyFixture proxy, int n) throws IOException, InterruptedException {
        Set<String> bodies = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            var r = Http.get(proxy.uri("/hello"));
            bodies.add(r.statusCode() == 200 ? r.body() : "status " + r.statusCode());
        }
        return bodies;
    }
}
