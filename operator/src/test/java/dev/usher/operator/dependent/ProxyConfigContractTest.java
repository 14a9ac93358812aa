package dev.usher.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.MockApiServer;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract between the two modules: the real proxy (its jar, in a child JVM; the proxy's Netty
 * 4.2 cannot share this module's classpath) starts on the proxy.yaml the operator renders, and finds
 * its upstreams in EndpointSlices shaped as Kubernetes makes them for the backend Service. The proxy
 * stops on any key it does not know, so this catches a schema drift on either side.
 */
class ProxyConfigContractTest {

    private static final Path PROXY_JAR = Path.of("../proxy-image/target/usher-proxy.jar");

    @Test
    void theProxyRunsOnTheRenderedConfigAndFollowsTheBackendService(@TempDir Path dir) throws Exception {
        assumeTrue(Files.exists(PROXY_JAR), "the proxy jar is built first by `mvn verify` from the repository root");
        ProxiedApp app = TestApps.stored("contract", "shop", "image: shop:1\nprotocol: uwsgi");
        try (MockApiServer api = new MockApiServer()) {
            var service = new BackendService().build(app, TestApps.config(Duration.ofMinutes(1)));
            api.client().resource(new EndpointSliceBuilder()
                    .withNewMetadata()
                        .withName("shop-backend-7xk2p").withNamespace("contract")
                        .addToLabels(Labels.of(app, Labels.Component.BACKEND))
                        .addToLabels("kubernetes.io/service-name", service.getMetadata().getName())
                    .endMetadata()
                    .withAddressType("IPv4")
                    .addNewPort().withName(service.getSpec().getPorts().get(0).getName()).withPort(8000)
                        .withProtocol("TCP").endPort()
                    .addNewEndpoint().withAddresses("10.9.0.1").withNewConditions().withReady(true).endConditions()
                        .endEndpoint()
                    .build()).create();

            Path config = Files.writeString(dir.resolve(ProxyConfigFile.KEY), ProxyConfigFile.render(app));
            Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
                    apiVersion: v1
                    kind: Config
                    clusters: [{name: mock, cluster: {server: "http://127.0.0.1:%d"}}]
                    users: [{name: mock, user: {token: test}}]
                    contexts: [{name: mock, context: {cluster: mock, user: mock}}]
                    current-context: mock
                    """.formatted(api.port()));
            int admin = freePort();
            ProcessBuilder builder = new ProcessBuilder("java", "-Xmx128m", "-jar", PROXY_JAR.toString(),
                    "--config", config.toString(),
                    "--listen", "127.0.0.1:" + freePort(), "--admin", "127.0.0.1:" + admin)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("proxy.log").toFile());
            builder.environment().put("KUBECONFIG", kubeconfig.toString());
            Process proxy = builder.start();
            try {
                String upstreams = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                        .until(() -> {
                            assertThat(proxy.isAlive()).as("the proxy exited: %s",
                                    (Object) Files.readString(dir.resolve("proxy.log"))).isTrue();
                            return get(admin, "/upstreams");
                        }, body -> body.contains("10.9.0.1:8000"));
                assertThat(upstreams).contains("kubernetes");
            } finally {
                proxy.destroy();
                proxy.waitFor();
            }
        }
    }

    private static String get(int port, String path) {
        try {
            return HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
