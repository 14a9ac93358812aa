package dev.usher.operator;

import static dev.usher.operator.OperatorIT.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.kube.ControlPlane;
import dev.usher.kube.junit.ControlPlaneExtension;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.Cluster;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The status, Events and printer columns as the real controllers drive them: the Deployment and
 * ReplicaSet controllers count the pods that a test reports running, and the EndpointSlice
 * controller writes a slice with no endpoint ("endpoints: null") for a Service with no ready pod,
 * the state that once made every reconcile fail: a new app, an app whose pods never become ready, an
 * app scaled to 0.
 */
@ExtendWith(ControlPlaneExtension.class)
class StatusIT {

    private static final Duration RESYNC = Duration.ofSeconds(3);
    private static KubernetesClient client;
    private static KubernetesClient operatorClient;
    private static UsherOperator operator;

    @BeforeAll
    static void start(ControlPlane plane) {
        Cluster.installCrd(plane);
        client = plane.admin();
        String[] namespaces = {"status", "deadline", "never-ready", "zero", "refused"};
        Cluster.namespaces(client, "usher-system");
        Cluster.namespaces(client, namespaces);
        operatorClient = new KubernetesClientBuilder().withConfig(client.getConfiguration()).build();
        operator = new UsherOperator(TestApps.config(RESYNC, namespaces), operatorClient, () -> { });
        operator.start();
    }

    @AfterAll
    static void stop() {
        operator.close();
        operatorClient.close();
    }

    @Test
    void statusFollowsThePodsAndEndpointSlices() {
        client.resource(TestApps.app("status", "shop", "image: shop:1\nreplicas: 2")).create();
        serve("status", 2);

        ProxiedApp ready = until("status", a -> "True".equals(condition(a, "Ready").getStatus()));
        assertThat(ready.getStatus().readyReplicas()).isEqualTo(2);
        assertThat(ready.getStatus().upstreams()).isEqualTo(2);
        assertThat(ready.getStatus().proxy().readyReplicas()).isEqualTo(2);
        assertThat(ready.getStatus().observedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
        assertThat(condition(ready, "BackendReady").getStatus()).isEqualTo("True");
        assertThat(condition(ready, "ProxyReady").getStatus()).isEqualTo("True");
        assertThat(condition(ready, "Ready").getReason()).isEqualTo("Serving");
        eventually(() -> events("status", "Ready").isEmpty() ? null : true);

        // The backend pods fail their readiness probe: the endpoints go, and the app is not ready.
        Cluster.runPods(client, "status", "shop", false);
        client.resources(EndpointSlice.class).inNamespace("status").withName("shop-backend-tests").delete();
        // The pods turn unready one by one, so the status passes "1 of 2" on the way: wait for where it ends.
        ProxiedApp failed = until("status", a -> "False".equals(condition(a, "Ready").getStatus())
                && "0 of 2 replicas ready".equals(condition(a, "BackendReady").getMessage()));
        assertThat(condition(failed, "BackendReady").getReason()).isEqualTo("Progressing");
        eventually(() -> events("status", "NotReady").isEmpty() ? null : true);
    }

    @Test
    void aDeploymentPastItsProgressDeadlineIsAFailure() {
        client.resource(TestApps.app("deadline", "shop", "image: shop:1")).create();
        eventually(() -> client.apps().deployments().inNamespace("deadline").withName("shop").get());
        // A field the operator does not set: the Deployment controller gives up on the rollout after 1 s.
        client.apps().deployments().inNamespace("deadline").withName("shop")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"progressDeadlineSeconds\":1}}");

        ProxiedApp failed = until("deadline",
                a -> "ProgressDeadlineExceeded".equals(condition(a, "BackendReady").getReason()));
        assertThat(condition(failed, "BackendReady").getMessage()).contains("has timed out progressing");
        assertThat(condition(failed, "Ready").getReason()).isEqualTo("ProgressDeadlineExceeded");
        eventually(() -> events("deadline", "ProgressDeadlineExceeded").isEmpty() ? null : true);
        // One per time the condition turns to it: the Deployment controller may report progress again (a pod
        // created late) and time out again, so a loaded machine can see two; each is the same Warning.
        assertThat(events("deadline", "ProgressDeadlineExceeded")).isNotEmpty()
                .allSatisfy(e -> assertThat(e.getType()).isEqualTo("Warning"));
    }

    @Test
    void anAppWhosePodsNeverBecomeReadyHasAStatus() {
        client.resource(TestApps.app("never-ready", "shop", "image: shop:1\nreplicas: 2")).create();
        EndpointSlice slice = eventually(() -> client.resources(EndpointSlice.class).inNamespace("never-ready")
                .withLabel("kubernetes.io/service-name", "shop-backend").list().getItems().stream()
                .findFirst().orElse(null));
        assertThat(slice.getEndpoints()).as("what the EndpointSlice controller writes: endpoints: null").isNull();
        assertThat(slice.getPorts()).isNull();

        ProxiedApp app = until("never-ready", a -> Objects.equals(a.getStatus().replicas(), 2)
                && Objects.equals(a.getStatus().proxy().replicas(), 2));
        assertThat(app.getStatus().observedGeneration()).isEqualTo(app.getMetadata().getGeneration());
        assertThat(app.getStatus().readyReplicas()).as("READY").isZero();
        assertThat(app.getStatus().upstreams()).as("UPSTREAMS").isZero();
        assertThat(app.getStatus().conditions()).extracting(Condition::getType, Condition::getStatus,
                        Condition::getReason, Condition::getMessage)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("BackendReady", "False", "Progressing",
                                "0 of 2 replicas ready"),
                        org.assertj.core.groups.Tuple.tuple("ProxyReady", "False", "Progressing",
                                "0 of 2 replicas ready"),
                        org.assertj.core.groups.Tuple.tuple("Ready", "False", "Progressing",
                                "backend: 0 of 2 replicas ready"));
    }

    @Test
    void anAppScaledToZeroHasAStatus() {
        client.resource(TestApps.app("zero", "shop", "image: shop:1\nreplicas: 2")).create();
        serve("zero", 2);
        until("zero", a -> "True".equals(condition(a, "Ready").getStatus()));

        client.resources(ProxiedApp.class).inNamespace("zero").withName("shop").scale(0);
        // The ReplicaSet controller deletes the pods; their endpoints go with them.
        eventually(() -> client.pods().inNamespace("zero").withLabel("usher.dev/component", "backend").list()
                .getItems().isEmpty() ? true : null);
        client.resources(EndpointSlice.class).inNamespace("zero").withName("shop-backend-tests").delete();

        ProxiedApp app = until("zero", a -> Objects.equals(a.getStatus().observedGeneration(),
                a.getMetadata().getGeneration()) && "ScaledToZero".equals(condition(a, "BackendReady").getReason())
                && Objects.equals(a.getStatus().upstreams(), 0));
        assertThat(app.getStatus().readyReplicas()).as("READY").isZero();
        assertThat(condition(app, "BackendReady").getMessage()).isEqualTo("spec.replicas is 0");
        assertThat(condition(app, "Ready")).extracting(Condition::getStatus, Condition::getReason)
                .containsExactly("False", "ScaledToZero");
        assertThat(condition(app, "ProxyReady").getStatus()).isEqualTo("True");
    }

    /** The CRD's pattern takes a size such as 1.5 (Kubernetes' grammar); the proxy cannot hold half a byte. */
    @Test
    void aValueTheProxyWouldRefuseIsAnInvalidSpecAndWritesNothing() {
        client.resource(TestApps.app("refused", "shop", "image: shop:1\nproxy: {maxBodySize: '1.5'}")).create();

        ProxiedApp app = until("refused", a -> "InvalidSpec".equals(condition(a, "Ready").getReason()));
        assertThat(condition(app, "Ready").getMessage())
                .isEqualTo("the proxy would refuse its config: spec.proxy.maxBodySize: '1.5' is not a whole number of bytes");
        assertThat(client.configMaps().inNamespace("refused").withName("shop-proxy").get()).isNull();
        assertThat(client.apps().deployments().inNamespace("refused").list().getItems()).isEmpty();
    }

    /** Runs the app's pods, ready, and lists the backend's as endpoints. */
    private static void serve(String namespace, int replicas) {
        List<Pod> backend = eventually(() -> {
            List<Pod> pods = client.apps().deployments().inNamespace(namespace).withName("shop").get() == null
                    ? List.of() : Cluster.runPods(client, namespace, "shop", true);
            return pods.size() == replicas ? pods : null;
        });
        eventually(() -> {
            Deployment proxy = client.apps().deployments().inNamespace(namespace).withName("shop-proxy").get();
            return proxy != null && Cluster.runPods(client, namespace, "shop-proxy", true).size()
                    == proxy.getSpec().getReplicas() ? true : null;
        });
        Cluster.publishEndpoints(client, namespace, "shop-backend", backend);
    }

    private static ProxiedApp until(String namespace, Predicate<ProxiedApp> state) {
        return eventually(() -> {
            ProxiedApp a = client.resources(ProxiedApp.class).inNamespace(namespace).withName("shop").get();
            return a.getStatus() != null && state.test(a) ? a : null;
        });
    }

    private static Condition condition(ProxiedApp app, String type) {
        return app.getStatus().conditions().stream().filter(c -> c.getType().equals(type)).findFirst()
                .orElseThrow();
    }

    private static List<Event> events(String namespace, String reason) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> e.getInvolvedObject().getName().equals("shop") && reason.equals(e.getReason()))
                .toList();
    }
}
