package dev.usher.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.kube.ControlPlane;
import dev.usher.kube.junit.ControlPlaneExtension;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.Cluster;
import dev.usher.operator.testing.RequestLog;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A restarted operator reconciles every app again; when nothing changed it must write nothing, and
 * the same holds for each periodic resync. On a real API server, with its defaults filled into every
 * object and server-side apply's managed fields, counted on the operator's client: every POST, PUT,
 * PATCH and DELETE except the Lease's renewals.
 */
@ExtendWith(ControlPlaneExtension.class)
class OperatorRestartIT {

    private static final Duration RESYNC = Duration.ofSeconds(2);
    private static final List<String> APPS = List.of("plain", "tuned", "serving");

    @Test
    void nothingIsWrittenAfterARestartOrOnResyncWhenNothingChanged(ControlPlane plane) throws Exception {
        Cluster.installCrd(plane);
        KubernetesClient client = plane.admin();
        Cluster.namespaces(client, "usher-system", "restart");
        try (KubernetesClient firstClient = new KubernetesClientBuilder().withConfig(client.getConfiguration()).build();
             UsherOperator first = new UsherOperator(TestApps.config(RESYNC, "restart"), firstClient, () -> { })) {
            first.start();
            client.resource(TestApps.app("restart", "plain", "image: shop:1")).create();
            client.resource(TestApps.app("restart", "tuned", """
                    image: shop:1
                    replicas: 3
                    protocol: uwsgi
                    env: [{name: MODE, value: prod}]
                    resources: {requests: {cpu: 100m, memory: 64Mi}}
                    proxy: {serviceType: LoadBalancer, timeouts: {response: 5m}, resources: {limits: {cpu: "1"}}}
                    """)).create();
            client.resource(TestApps.app("restart", "serving", "image: shop:1\nreplicas: 2")).create();
            for (String deployment : List.of("serving", "serving-proxy")) {
                await().atMost(Duration.ofSeconds(30)).until(() -> client.apps().deployments().inNamespace("restart")
                        .withName(deployment).get() != null
                        && Cluster.runPods(client, "restart", deployment, true).size() == 2);
            }
            Cluster.publishEndpoints(client, "restart", "serving-backend",
                    Cluster.runPods(client, "restart", "serving", true));
            for (String app : APPS) {
                OperatorIT.eventually(() -> settled(client, app) ? true : null);
            }
        }

        RequestLog log = new RequestLog();
        try (KubernetesClient secondClient = log.client(client.getConfiguration());
             UsherOperator second = new UsherOperator(TestApps.config(RESYNC, "restart"), secondClient, () -> { })) {
            second.start();
            // The start reconciles each app once, and two resyncs once more each.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> successfulReconciles(second) >= 3 * APPS.size());
        }
        assertThat(log.writes()).isEmpty();
    }

    /** The state the first operator must have reached, so that nothing is left for the second to do. */
    private static boolean settled(KubernetesClient client, String name) {
        ProxiedApp app = client.resources(ProxiedApp.class).inNamespace("restart").withName(name).get();
        if (app.getStatus() == null || client.apps().deployments().inNamespace("restart").withName(name + "-proxy")
                .get() == null) {
            return false;
        }
        // The controllers have made every pod, and the status counts them.
        if (!Objects.equals(app.getStatus().replicas(), app.getSpec().replicas())
                || !Objects.equals(app.getStatus().proxy().replicas(), app.getSpec().proxy().replicas())) {
            return false;
        }
        boolean ready = app.getStatus().conditions().stream()
                .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
        return ready == name.equals("serving");
    }

    private static double successfulReconciles(UsherOperator operator) throws IOException, InterruptedException {
        String metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operator.adminPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines()
                .filter(l -> l.startsWith("operator_sdk_reconciliations_success_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

}
