package dev.usher.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.usher.kube.ControlPlane;
import dev.usher.kube.junit.ControlPlaneExtension;
import dev.usher.operator.config.OperatorConfig;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.Cluster;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract between the two modules: the real proxy (its jar, in a child JVM; the proxy's Netty
 * 4.2 cannot share this module's classpath) starts on the proxy.yaml the operator renders, with the
 * token of the ServiceAccount the operator makes for it, and finds its upstreams in the EndpointSlices
 * of the backend Service on a real API server. The proxy stops on any key it does not know, so this
 * catches a schema drift on either side; the real authorizer checks the proxy's Role. First the backend
 * has no ready pod, and the EndpointSlice controller's slice has no endpoints and no ports: the proxy
 * must take that as an empty pool, without a warning.
 */
@ExtendWith(ControlPlaneExtension.class)
class ProxyConfigContractIT {

    private static final Path PROXY_JAR = Path.of("../proxy-image/target/usher-proxy.jar");

    @Test
    void theProxyRunsOnTheRenderedConfigAndFollowsTheBackendService(ControlPlane plane, @TempDir Path dir)
            throws Exception {
        assumeTrue(Files.exists(PROXY_JAR), "the proxy jar is built first by `mvn verify` from the repository root");
        KubernetesClient admin = plane.admin();
        Cluster.namespaces(admin, "contract");
        ProxiedApp app = TestApps.stored("contract", "shop", "image: shop:1\nprotocol: uwsgi");
        OperatorConfig settings = TestApps.config(Duration.ofMinutes(1));
        Service service = null;
        for (OwnedResource<?> owned : List.of(new BackendService(), new ProxyServiceAccount(), new ProxyRole(),
                new ProxyRoleBinding())) {
            HasMetadata object = owned.build(app, Inputs.of(app, settings));
            object.getMetadata().getLabels().putAll(Labels.of(app, owned.component()));
            // The app is not stored here: an owner reference to it would have the garbage collector delete the object.
            object.getMetadata().setOwnerReferences(List.of());
            HasMetadata created = admin.resource(object).create();
            if (created instanceof Service s) {
                service = s;
            }
        }
        EndpointSlice empty = await().atMost(Duration.ofSeconds(30)).until(() -> admin.resources(EndpointSlice.class)
                .inNamespace("contract").withLabel("kubernetes.io/service-name", "shop-backend").list().getItems()
                .stream().findFirst().orElse(null), s -> s != null);
        assertThat(empty.getEndpoints()).as("the EndpointSlice controller's slice for no ready pod").isNull();

        var token = plane.configFor("contract", Names.proxy(app)).getOauthToken();
        Path config = Files.writeString(dir.resolve(ProxyConfigFile.KEY), ProxyConfigFile.of(app).text());
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: local, cluster: {server: "%s", certificate-authority: "%s"}}]
                users: [{name: proxy, user: {token: "%s"}}]
                contexts: [{name: local, context: {cluster: local, user: proxy, namespace: contract}}]
                current-context: local
                """.formatted(plane.url(), plane.dir().resolve("pki/ca.crt"), token));
        Path log = dir.resolve("proxy.log");
        int adminPort = freePort();
        ProcessBuilder builder = new ProcessBuilder("java", "-Xmx128m", "-jar", PROXY_JAR.toString(),
                "--config", config.toString(),
                "--listen", "127.0.0.1:" + freePort(), "--admin", "127.0.0.1:" + adminPort)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("KUBECONFIG", kubeconfig.toString());
        Process proxy = builder.start();
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                assertThat(proxy.isAlive()).as("the proxy exited: %s", (Object) Files.readString(log)).isTrue();
                return get(adminPort, "/upstreams");
            }, body -> body.contains("kubernetes"));

            // A pod becomes ready: as the EndpointSlice controller would list it with a Node for it.
            admin.resource(new EndpointSliceBuilder()
                    .withNewMetadata()
                        .withName("shop-backend-tests").withNamespace("contract")
                        .addToLabels(service.getMetadata().getLabels())
                        .addToLabels("kubernetes.io/service-name", service.getMetadata().getName())
                    .endMetadata()
                    .withAddressType("IPv4")
                    .addNewPort().withName(service.getSpec().getPorts().get(0).getName()).withPort(8000)
                        .withProtocol("TCP").endPort()
                    .addNewEndpoint().withAddresses("10.244.9.1").withNewConditions().withReady(true).endConditions()
                        .endEndpoint()
                    .build()).create();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> get(adminPort, "/upstreams"), body -> body.contains("10.244.9.1:8000"));
            assertThat(Files.readAllLines(log)).as("the proxy's log").noneMatch(line -> line.contains(" WARN ")
                    || line.contains(" ERROR "));
        } finally {
            proxy.destroy();
            proxy.waitFor();
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
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
