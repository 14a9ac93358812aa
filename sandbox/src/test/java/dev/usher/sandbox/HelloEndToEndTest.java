package dev.usher.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** examples/hello in the sandbox: the API server, the operator, the stand-ins, python backends and the real proxy. */
@TestMethodOrder(OrderAnnotation.class)
class HelloEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    static Sandbox sandbox;
    static KubernetesClient client;
    static int port;

    @BeforeAll
    static void up() {
        sandbox = new Sandbox(work, ProxyJar.find());
        client = sandbox.client();
        sandbox.apply(Path.of("../examples/hello"));
        await().atMost(Duration.ofSeconds(60)).until(() -> sandbox.localPort("hello", 80).isPresent());
        port = sandbox.localPort("hello", 80).getAsInt();
    }

    @AfterAll
    static void down() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    @Order(1)
    void helloComesUpAndEveryPodAnswers() throws IOException {
        awaitSettled(2);
        ProxiedApp app = app();
        assertThat(app.getStatus().readyReplicas()).isEqualTo(2);
        assertThat(app.getStatus().upstreams()).isEqualTo(2);
        assertThat(app.getStatus().proxy().readyReplicas()).isEqualTo(2);
        assertThat(app.getStatus().url()).isEqualTo("http://hello.default.svc:80");

        Set<String> answered = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            Http.Response r = Http.get(port, "/");
            assertThat(r.status()).isEqualTo(200);
            answered.add(r.body().trim().replace("Hostname: ", ""));
        }
        assertThat(answered).containsExactlyInAnyOrderElementsOf(podNames("backend"));
    }

    @Test
    @Order(2)
    void scalesTwoToSixToOneUnderLoadWithoutAFailedRequest() throws Exception {
        awaitSettled(2);
        try (Load load = new Load(port, 20, 20_000, 90)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > 100);
            scale(6);
            awaitSettled(6);
            scale(1);
            awaitSettled(1);
            load.stop();
            assertThat(load.failures()).isEmpty();
            assertThat(load.ok()).isGreaterThan(500);
        }
        scale(2);
        awaitSettled(2);
    }

    @Test
    @Order(3)
    void aKilledBackendIsRestartedWhileRequestsKeepSucceeding() throws Exception {
        awaitSettled(2);
        String victim = podNames("backend").get(0);
        ProcessHandle process = ProcessHandle.current().descendants()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(victim)).orElse(false))
                .findFirst().orElseThrow();
        try (Load load = new Load(port, 10, 5_000, 60)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > 50);
            process.destroyForcibly();
            await().atMost(Duration.ofSeconds(30)).until(() -> restarts(victim) == 1);
            awaitSettled(2);
            int before = load.ok();
            await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > before + 50);
            load.stop();
            assertThat(load.failures()).isEmpty();
        }
    }

    @Test
    @Order(4)
    void aProxyConfigChangeRollsTheProxiesWithoutAFailedRequest() throws Exception {
        awaitSettled(2);
        List<String> before = podNames("proxy");
        try (Load load = new Load(port, 10, 10_000, 60)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > 50);
            client.resources(ProxiedApp.class).inNamespace(Sandbox.NAMESPACE).withName("hello")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"proxy\":{\"maxBodySize\":\"2Mi\"}}}");
            await().atMost(Duration.ofSeconds(60)).until(() -> podNames("proxy").stream().noneMatch(before::contains));
            awaitSettled(2);
            load.stop();
            assertThat(load.failures()).isEmpty();
        }
    }

    @Test
    @Order(5)
    void withTheOperatorStoppedTrafficFlowsAndARestartWritesNothing() throws Exception {
        awaitSettled(2);
        try (Load load = new Load(port, 10, 5_000, 60)) {
            sandbox.stopOperator();
            int before = load.ok();
            await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > before + 200);
            int writes = sandbox.writes().size();
            sandbox.startOperator();
            // Nothing changed while it was away: after its first reconcile, not one write of its own.
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10))
                    .until(() -> operatorWrites(sandbox.writes().subList(writes, sandbox.writes().size())).isEmpty());
            load.stop();
            assertThat(load.failures()).isEmpty();
        }
        awaitSettled(2);
    }

    @Test
    @Order(6)
    void aPodOfAnUnmappedImageWaitsWithTheReasonInItsStatus() {
        client.resource(new DeploymentBuilder()
                .withNewMetadata().withName("unmapped").withNamespace(Sandbox.NAMESPACE).endMetadata()
                .withNewSpec()
                    .withNewSelector().addToMatchLabels("app", "unmapped").endSelector()
                    .withNewTemplate()
                        .withNewMetadata().addToLabels("app", "unmapped").endMetadata()
                        .withNewSpec().addNewContainer().withName("app").withImage("example/unmapped:1").endContainer().endSpec()
                    .endTemplate()
                .endSpec()
                .build()).create();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            Pod pod = client.pods().inNamespace(Sandbox.NAMESPACE).withLabel("app", "unmapped").list().getItems().get(0);
            assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
            var waiting = pod.getStatus().getContainerStatuses().get(0).getState().getWaiting();
            assertThat(waiting.getReason()).isEqualTo("ErrImageNotMapped");
            assertThat(waiting.getMessage()).contains("example/unmapped:1", ImageMap.FILE);
        });
    }

    @Test
    @Order(7)
    void deletingTheAppRemovesWhatWasMadeForItAndStopsItsPods() {
        client.resources(ProxiedApp.class).inNamespace(Sandbox.NAMESPACE).withName("hello").delete();
        await().atMost(Duration.ofSeconds(60)).until(() -> pods("backend").isEmpty() && pods("proxy").isEmpty()
                && client.apps().deployments().inNamespace(Sandbox.NAMESPACE).withLabel("usher.dev/app", "hello").list().getItems().isEmpty()
                && client.services().inNamespace(Sandbox.NAMESPACE).withLabel("usher.dev/app", "hello").list().getItems().isEmpty()
                && sandbox.localPort("hello", 80).isEmpty());
    }

    /** Writes that are not the stand-ins': Pods, their status, EndpointSlices and Deployment status are theirs. */
    private static List<String> operatorWrites(List<String> writes) {
        return writes.stream()
                .filter(w -> !w.contains("/pods") && !w.contains("/endpointslices") && !w.matches(".*/deployments/[^/]+/status.*"))
                .toList();
    }

    private static ProxiedApp app() {
        return client.resources(ProxiedApp.class).inNamespace(Sandbox.NAMESPACE).withName("hello").get();
    }

    private static void scale(int replicas) {
        client.resources(ProxiedApp.class).inNamespace(Sandbox.NAMESPACE).withName("hello").scale(replicas);
    }

    private static List<Pod> pods(String component) {
        return client.pods().inNamespace(Sandbox.NAMESPACE).withLabel("usher.dev/component", component).list().getItems();
    }

    private static List<String> podNames(String component) {
        return pods(component).stream().map(p -> p.getMetadata().getName()).toList();
    }

    private static int restarts(String pod) {
        Pod p = client.pods().inNamespace(Sandbox.NAMESPACE).withName(pod).get();
        return p.getStatus().getContainerStatuses().get(0).getRestartCount();
    }

    /**
     * The app Ready with this many backends, no Pod terminating, every proxy's pool holding exactly
     * the ready backend Pods, and the Service answering.
     */
    private static void awaitSettled(int replicas) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
            ProxiedApp app = app();
            if (!Status.ready(app) || app.getStatus().readyReplicas() != replicas || app.getStatus().upstreams() != replicas) {
                return false;
            }
            List<Pod> backends = pods("backend");
            List<Pod> proxies = pods("proxy");
            if (backends.size() != replicas || proxies.size() != 2 || !backends.stream().allMatch(Pods::ready)
                    || !proxies.stream().allMatch(Pods::ready)) {
                return false;
            }
            Set<String> ready = new HashSet<>();
            backends.forEach(p -> ready.add(Pods.ip(p) + ":8000"));
            for (Pod proxy : proxies) {
                if (!ready.equals(pool(proxy))) {
                    return false;
                }
            }
            // and the Service port forwards to the proxies
            return Http.get(port, "/").status() == 200;
        });
    }

    /** The upstreams a proxy sends new requests to, from its admin port. */
    private static Set<String> pool(Pod proxy) throws IOException {
        JsonNode upstreams = JSON.readTree(URI.create("http://" + Pods.ip(proxy) + ":9901/upstreams").toURL().openStream()).path("upstreams");
        Set<String> out = new HashSet<>();
        StreamSupport.stream(upstreams.spliterator(), false)
                .filter(u -> "ready".equals(u.path("condition").asText()))
                .forEach(u -> out.add(u.path("address").asText()));
        return out;
    }
}
