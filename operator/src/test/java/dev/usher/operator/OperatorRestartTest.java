package dev.usher.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.MockApiServer;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A restarted operator reconciles every app again; when nothing changed it must write nothing, and
 * the same holds for each periodic resync. Counted on the mock server's side: every POST, PUT,
 * PATCH and DELETE except the Lease's renewals.
 */
class OperatorRestartTest {

    private static final Duration RESYNC = Duration.ofSeconds(2);
    private static final List<String> APPS = List.of("plain", "tuned", "serving");

    @Test
    void nothingIsWrittenAfterARestartOrOnResyncWhenNothingChanged() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            NamespacedKubernetesClient client = api.client();
            try (UsherOperator first = new UsherOperator(TestApps.config(RESYNC), client, () -> { })) {
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
                Service backend = OperatorIntegrationTest.eventually(() ->
                        client.services().inNamespace("restart").withName("serving-backend").get());
                OperatorIntegrationTest.eventually(() ->
                        client.apps().deployments().inNamespace("restart").withName("serving-proxy").get());
                markReady(client, backend);
                for (String app : APPS) {
                    OperatorIntegrationTest.eventually(() -> settled(client, app) ? true : null);
                }
            }
            int writesBefore = api.writes().size();

            try (UsherOperator second = new UsherOperator(TestApps.config(RESYNC), client, () -> { })) {
                second.start();
                // The start reconciles each app once, and two resyncs once more each.
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                        .until(() -> successfulReconciles(second) >= 3 * APPS.size());
            }
            assertThat(api.writes().subList(writesBefore, api.writes().size())).isEmpty();
        }
    }

    /** The state the first operator must have reached, so that nothing is left for the second to do. */
    private static boolean settled(NamespacedKubernetesClient client, String name) {
        ProxiedApp app = client.resources(ProxiedApp.class).inNamespace("restart").withName(name).get();
        if (app.getStatus() == null || client.apps().deployments().inNamespace("restart").withName(name + "-proxy")
                .get() == null) {
            return false;
        }
        boolean ready = app.getStatus().conditions().stream()
                .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
        return ready == name.equals("serving");
    }

    private static void markReady(NamespacedKubernetesClient client, Service backend) {
        for (String deployment : List.of("serving", "serving-proxy")) {
            client.apps().deployments().inNamespace("restart").withName(deployment).editStatus(d -> {
                d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
                        .withObservedGeneration(d.getMetadata().getGeneration())
                        .withReplicas(2).withUpdatedReplicas(2).withReadyReplicas(2).build());
                return d;
            });
        }
        client.resource(new EndpointSliceBuilder()
                .withNewMetadata()
                    .withName("serving-backend-x1").withNamespace("restart")
                    .addToLabels(backend.getMetadata().getLabels())
                    .addToLabels("kubernetes.io/service-name", "serving-backend")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses("10.2.0.1").endEndpoint()
                .build()).create();
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
