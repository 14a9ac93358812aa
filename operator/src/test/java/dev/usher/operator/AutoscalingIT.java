package dev.usher.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.kube.ControlPlane;
import dev.usher.kube.junit.ControlPlaneExtension;
import dev.usher.operator.autoscaling.DemandSource;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.Cluster;
import dev.usher.operator.testing.RequestLog;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The autoscaler on the real API server: it writes the ProxiedApp's scale subresource, the API server
 * moves spec.replicas, and the reconciler scales the backend Deployment. There are no pods to probe
 * here (pod addresses are not reachable from the host), so demand comes from the test, per app; the
 * probe of real proxies is the sandbox's AutoscalingTest. Short windows keep the test quick.
 */
@ExtendWith(ControlPlaneExtension.class)
class AutoscalingIT {

    private static final String NS = "autoscale";
    private static final String SPEC = """
            image: shop:1
            replicas: 1
            concurrency: 2
            autoscaling: {minReplicas: 1, maxReplicas: 5, targetUtilization: 1, stableWindow: 10s, panicWindow: 4s,
                          scaleDownDelay: 4s}
            """;
    private static final Map<String, Double> DEMAND = new ConcurrentHashMap<>();
    private static final RequestLog LOG = new RequestLog();
    private static KubernetesClient client;
    private static KubernetesClient operatorClient;
    private static UsherOperator operator;

    @BeforeAll
    static void start(ControlPlane plane) {
        Cluster.installCrd(plane);
        client = plane.admin();
        Cluster.namespaces(client, "usher-system", NS);
        operatorClient = LOG.client(client.getConfiguration());
        DemandSource demand = (app, proxies) -> {
            Double d = DEMAND.get(app.getMetadata().getName());
            return CompletableFuture.completedFuture(d == null ? OptionalDouble.empty() : OptionalDouble.of(d));
        };
        operator = new UsherOperator(TestApps.config(Duration.ofMinutes(10), NS), operatorClient, () -> { }, demand);
        operator.start();
    }

    @AfterAll
    static void stop() {
        operator.close();
        operatorClient.close();
    }

    @Test
    void scalesUpThroughTheScaleSubresourceInPanicAndBackDownWhenDemandGoes() {
        client.resource(TestApps.app(NS, "shop", SPEC)).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> deploymentReplicas("shop") == 1);
        DEMAND.put("shop", 8.0); // 4 pods' worth of concurrency 2, four times what 1 pod serves

        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(15)).until(() -> deploymentReplicas("shop") == 4);
        Duration up = Duration.ofNanos(System.nanoTime() - start);
        ProxiedApp app = app("shop");
        assertThat(app.getSpec().replicas()).isEqualTo(4);
        assertThat(LOG.writes()).anySatisfy(call -> {
            assertThat(call.method()).isEqualTo("PUT");
            assertThat(call.uri().getPath()).endsWith("/namespaces/" + NS + "/proxiedapps/shop/scale");
        });
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            ProxiedApp a = app("shop");
            assertThat(a.getStatus().autoscaling().mode()).isEqualTo("Panic");
            assertThat(a.getStatus().autoscaling().desiredReplicas()).isEqualTo(4);
            assertThat(a.getStatus().autoscaling().lastScaleTime()).isNotNull();
            assertThat(condition(a, "Autoscaling")).extracting(Condition::getStatus, Condition::getReason)
                    .containsExactly("True", "Panic");
        });
        assertThat(events("shop", "SuccessfulRescale")).anySatisfy(e ->
                assertThat(e.getMessage()).startsWith("New size: ").contains("(was 1)"));

        DEMAND.put("shop", 0.0);
        start = System.nanoTime();
        // the panic ends a stable window (10 s) after the last sample over the threshold; then the stable
        // average falls and each step down waits the delay
        await().atMost(Duration.ofSeconds(45)).until(() -> deploymentReplicas("shop") == 1);
        Duration down = Duration.ofNanos(System.nanoTime() - start);
        assertThat(app("shop").getSpec().replicas()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> "Stable".equals(app("shop").getStatus().autoscaling().mode()));
        System.out.printf("autoscaling on the API server: 1 -> 4 in %d ms, 4 -> 1 in %d ms%n", up.toMillis(),
                down.toMillis());
    }

    @Test
    void anHpaOnTheSameAppStopsTheAutoscalerWithAConditionAndAnEvent() {
        client.resource(TestApps.app(NS, "both", SPEC)).create();
        await().atMost(Duration.ofSeconds(30)).until(() -> deploymentReplicas("both") == 1);
        HorizontalPodAutoscaler hpa = client.resource(new HorizontalPodAutoscalerBuilder()
                .withNewMetadata().withName("both-cpu").withNamespace(NS).endMetadata()
                .withNewSpec()
                    .withNewScaleTargetRef().withApiVersion("usher.dev/v1alpha1").withKind("ProxiedApp")
                        .withName("both").endScaleTargetRef()
                    .withMinReplicas(1).withMaxReplicas(3)
                .endSpec()
                .build()).create();
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().untilAsserted(() -> {
            Condition c = condition(app("both"), "Autoscaling");
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("AutoscalingConflict");
            assertThat(c.getMessage()).contains("HorizontalPodAutoscaler both-cpu");
        });
        assertThat(events("both", "AutoscalingConflict")).singleElement()
                .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));

        DEMAND.put("both", 8.0);
        // Several rounds of the autoscaler pass without a scale; kube-local runs no HPA controller
        // that would scale it either.
        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8))
                .until(() -> app("both").getSpec().replicas() == 1);

        client.resource(hpa).delete();
        await().atMost(Duration.ofSeconds(20)).until(() -> app("both").getSpec().replicas() == 4);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> "True".equals(condition(app("both"), "Autoscaling").getStatus()));
        DEMAND.remove("both");
    }

    private static ProxiedApp app(String name) {
        return client.resources(ProxiedApp.class).inNamespace(NS).withName(name).get();
    }

    private static int deploymentReplicas(String name) {
        Deployment d = client.apps().deployments().inNamespace(NS).withName(name).get();
        return d == null ? -1 : d.getSpec().getReplicas();
    }

    private static Condition condition(ProxiedApp app, String type) {
        return app.getStatus().conditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
    }

    private static List<Event> events(String app, String reason) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> app.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason()))
                .toList();
    }
}
