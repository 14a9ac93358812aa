package dev.usher.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.usher.operator.dependent.OwnedResource;
import dev.usher.operator.dependent.ProxyConfigFile;
import dev.usher.operator.dependent.ProxyDeployment;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.MockApiServer;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The running operator against fabric8's mock API server in CRUD mode. The mock has no controllers,
 * so the tests play the Deployment and EndpointSlice controllers by writing those objects' status.
 * Each test works in its own namespace.
 */
class OperatorIntegrationTest {

    private static final Duration RESYNC = Duration.ofSeconds(3);
    private static MockApiServer api;
    private static NamespacedKubernetesClient client;
    private static UsherOperator operator;

    @BeforeAll
    static void start() {
        api = new MockApiServer();
        client = api.client();
        operator = new UsherOperator(TestApps.config(RESYNC), client, () -> { });
        operator.start();
    }

    @AfterAll
    static void stop() {
        operator.close();
        api.close();
    }

    @Test
    void createsEveryOwnedObjectWithLabelsAndOwnerReferences() {
        ProxiedApp app = client.resource(TestApps.app("create", "shop", """
                image: ghcr.io/acme/shop:1.4
                replicas: 3
                proxy: {port: 8080, serviceType: NodePort}
                """)).create();

        Deployment backend = eventually(() -> get(Deployment.class, "create", "shop"));
        Service backendService = eventually(() -> get(Service.class, "create", "shop-backend"));
        ServiceAccount account = eventually(() -> get(ServiceAccount.class, "create", "shop-proxy"));
        Role role = eventually(() -> get(Role.class, "create", "shop-proxy"));
        RoleBinding binding = eventually(() -> get(RoleBinding.class, "create", "shop-proxy"));
        ConfigMap config = eventually(() -> get(ConfigMap.class, "create", "shop-proxy"));
        Deployment proxy = eventually(() -> get(Deployment.class, "create", "shop-proxy"));
        Service proxyService = eventually(() -> get(Service.class, "create", "shop"));

        for (HasMetadata owned : List.of(backend, backendService, account, role, binding, config, proxy, proxyService)) {
            assertThat(owned.getMetadata().getOwnerReferences()).singleElement().satisfies(ref -> {
                assertThat(ref).extracting(OwnerReference::getKind, OwnerReference::getName, OwnerReference::getUid,
                                OwnerReference::getController)
                        .containsExactly("ProxiedApp", "shop", app.getMetadata().getUid(), true);
            });
            assertThat(owned.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "usher-operator")
                    .containsEntry("usher.dev/app", "shop").containsKey("usher.dev/component");
            assertThat(owned.getMetadata().getAnnotations()).containsKey(OwnedResource.SPEC_HASH);
        }
        assertThat(backend.getSpec().getReplicas()).isEqualTo(3);
        assertThat(backend.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("ghcr.io/acme/shop:1.4");
        assertThat(backendService.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(role.getRules().get(0).getResources()).containsExactly("endpointslices");
        assertThat(binding.getSubjects().get(0).getName()).isEqualTo(account.getMetadata().getName());
        assertThat(config.getData().get(ProxyConfigFile.KEY)).contains("service: shop-backend", "namespace: create");
        assertThat(proxy.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo(TestApps.PROXY_IMAGE);
        assertThat(proxyService.getSpec().getType()).isEqualTo("NodePort");
        assertThat(proxyService.getSpec().getPorts().get(0).getPort()).isEqualTo(8080);

        ProxiedApp withStatus = eventually(() -> {
            ProxiedApp a = get(ProxiedApp.class, "create", "shop");
            return a.getStatus() != null ? a : null;
        });
        assertThat(withStatus.getStatus().url()).isEqualTo("http://shop.create.svc:8080");
        assertThat(withStatus.getStatus().selector()).isEqualTo("usher.dev/app=shop,usher.dev/component=backend");
        assertThat(withStatus.getStatus().conditions()).extracting("type", "status")
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("BackendReady", "False"),
                        org.assertj.core.groups.Tuple.tuple("ProxyReady", "False"),
                        org.assertj.core.groups.Tuple.tuple("Ready", "False"));
    }

    @Test
    void replicasFollowTheSpecAndTheScaleSubresource() {
        client.resource(TestApps.app("scale", "shop", "image: shop:1")).create();
        eventually(() -> replicas("scale", "shop") == 1 ? true : null);

        patch("scale", "shop", "{\"spec\":{\"replicas\":4}}");
        eventually(() -> replicas("scale", "shop") == 4 ? true : null);

        client.resources(ProxiedApp.class).inNamespace("scale").withName("shop").scale(6);
        assertThat(get(ProxiedApp.class, "scale", "shop").getSpec().replicas()).isEqualTo(6);
        eventually(() -> replicas("scale", "shop") == 6 ? true : null);

        // Someone scales the Deployment by hand: the ProxiedApp is the only authority on its replicas.
        client.apps().deployments().inNamespace("scale").withName("shop").edit(d -> {
            d.getSpec().setReplicas(1);
            return d;
        });
        eventually(() -> replicas("scale", "shop") == 6 ? true : null);
    }

    @Test
    void proxySettingsChangeTheConfigAndRollTheProxy() {
        client.resource(TestApps.app("settings", "shop", """
                image: shop:1
                env: [{name: A, value: "1"}, {name: B, value: "2"}]
                """)).create();
        String before = eventually(() -> checksum("settings", "shop-proxy"));
        assertThat(before).isEqualTo(sha256(configText("settings")));

        patch("settings", "shop", "{\"spec\":{\"protocol\":\"uwsgi\",\"proxy\":{\"loadBalancing\":\"round-robin\","
                + "\"timeouts\":{\"response\":\"90s\"}}}}");
        eventually(() -> configText("settings").contains("response: 90s") ? true : null);
        String config = configText("settings");
        assertThat(config).contains("protocol: uwsgi", "loadBalancing: round-robin", "connect: 2s");
        String after = eventually(() -> {
            String c = checksum("settings", "shop-proxy");
            return c.equals(before) ? null : c;
        });
        assertThat(after).isEqualTo(sha256(config));

        // A list item removed from the spec is removed from the Deployment too. (A JSON patch: the mock
        // server's merge patch appends to lists instead of replacing them.)
        client.resources(ProxiedApp.class).inNamespace("settings").withName("shop")
                .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"remove\",\"path\":\"/spec/env/1\"}]");
        eventually(() -> get(Deployment.class, "settings", "shop").getSpec().getTemplate().getSpec().getContainers()
                .get(0).getEnv().size() == 1 ? true : null);
    }

    @Test
    void statusFollowsTheDeploymentsAndEndpointSlices() {
        client.resource(TestApps.app("status", "shop", "image: shop:1\nreplicas: 2")).create();
        eventually(() -> get(Deployment.class, "status", "shop-proxy"));
        Service backendService = eventually(() -> get(Service.class, "status", "shop-backend"));

        setDeploymentStatus("status", "shop", 2, 2);
        setDeploymentStatus("status", "shop-proxy", 2, 2);
        createEndpointSlice("status", backendService, true, true, false);

        ProxiedApp ready = eventually(() -> {
            ProxiedApp a = get(ProxiedApp.class, "status", "shop");
            return a.getStatus() != null && condition(a, "Ready").equals("True") ? a : null;
        });
        assertThat(ready.getStatus().readyReplicas()).isEqualTo(2);
        assertThat(ready.getStatus().upstreams()).isEqualTo(2);
        assertThat(ready.getStatus().proxy().readyReplicas()).isEqualTo(2);
        assertThat(ready.getStatus().observedGeneration()).isEqualTo(ready.getMetadata().getGeneration());
        assertThat(condition(ready, "BackendReady")).isEqualTo("True");
        assertThat(condition(ready, "ProxyReady")).isEqualTo("True");
        eventually(() -> events("status", "shop", "Ready").isEmpty() ? null : true);

        client.apps().deployments().inNamespace("status").withName("shop").editStatus(d -> {
            d.getStatus().setReadyReplicas(0);
            d.getStatus().getConditions().add(new io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder()
                    .withType("Progressing").withStatus("False").withReason("ProgressDeadlineExceeded")
                    .withMessage("ReplicaSet \"shop-5d8f\" has timed out progressing.").build());
            return d;
        });
        ProxiedApp failed = eventually(() -> {
            ProxiedApp a = get(ProxiedApp.class, "status", "shop");
            return condition(a, "Ready").equals("False") ? a : null;
        });
        assertThat(failed.getStatus().conditions()).filteredOn(c -> c.getType().equals("BackendReady"))
                .singleElement().satisfies(c -> {
                    assertThat(c.getReason()).isEqualTo("ProgressDeadlineExceeded");
                    assertThat(c.getMessage()).contains("has timed out progressing");
                });
        eventually(() -> events("status", "shop", "ProgressDeadlineExceeded").isEmpty() ? null : true);
        eventually(() -> events("status", "shop", "NotReady").isEmpty() ? null : true);
        assertThat(events("status", "shop", "ProgressDeadlineExceeded")).singleElement()
                .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
    }

    @Test
    void anObjectInTheWayIsLeftAloneAndReported() {
        client.resource(new ConfigMapBuilder().withNewMetadata().withName("blocked-proxy").withNamespace("foreign")
                .endMetadata().addToData("owner", "someone else").build()).create();
        client.resource(TestApps.app("foreign", "blocked", "image: shop:1")).create();

        ProxiedApp app = eventually(() -> {
            ProxiedApp a = get(ProxiedApp.class, "foreign", "blocked");
            return a.getStatus() != null && reason(a, "ProxyReady").equals("NameInUse") ? a : null;
        });
        assertThat(app.getStatus().conditions()).filteredOn(c -> c.getType().equals("ProxyReady")).singleElement()
                .satisfies(c -> assertThat(c.getMessage()).startsWith("ConfigMap blocked-proxy already exists"));
        ConfigMap foreign = get(ConfigMap.class, "foreign", "blocked-proxy");
        assertThat(foreign.getData()).isEqualTo(Map.of("owner", "someone else"));
        assertThat(foreign.getMetadata().getOwnerReferences()).isEmpty();
        assertThat(get(Deployment.class, "foreign", "blocked-proxy")).as("the rest is made").isNotNull();
        eventually(() -> events("foreign", "blocked", "NameInUse").isEmpty() ? null : true);

        // Once the object is gone, the periodic resync takes the name.
        client.resource(foreign).delete();
        eventually(() -> {
            ConfigMap ours = get(ConfigMap.class, "foreign", "blocked-proxy");
            return ours != null && ours.getData().containsKey(ProxyConfigFile.KEY) ? ours : null;
        });
        eventually(() -> reason(get(ProxiedApp.class, "foreign", "blocked"), "ProxyReady").equals("NameInUse")
                ? null : true);
    }

    @Test
    void aNameTooLongForTheServicesIsReportedAndNothingIsWritten() {
        String name = "a".repeat(ProxiedApp.MAX_NAME_LENGTH + 1);
        client.resource(TestApps.app("long", name, "image: shop:1")).create();
        ProxiedApp app = eventually(() -> {
            ProxiedApp a = get(ProxiedApp.class, "long", name);
            return a.getStatus() != null ? a : null;
        });
        assertThat(reason(app, "Ready")).isEqualTo("InvalidName");
        assertThat(client.apps().deployments().inNamespace("long").list().getItems()).isEmpty();
        assertThat(client.services().inNamespace("long").list().getItems()).isEmpty();
        eventually(() -> events("long", name, "InvalidName").isEmpty() ? null : true);
    }

    @Test
    void servesProbesAndMetrics() throws IOException, InterruptedException {
        assertThat(adminGet("/healthz")).extracting(HttpResponse::statusCode, HttpResponse::body)
                .containsExactly(200, "ok\n");
        assertThat(adminGet("/readyz")).extracting(HttpResponse::statusCode, HttpResponse::body)
                .containsExactly(200, "ok\n");
        HttpResponse<String> metrics = adminGet("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("jvm_memory_used_bytes", "operator_sdk_reconciliations_success_total");
    }

    private static HttpResponse<String> adminGet(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operator.adminPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static <T> T eventually(Supplier<T> value) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(value::get,
                v -> v != null);
    }

    private static <T extends HasMetadata> T get(Class<T> type, String namespace, String name) {
        return client.resources(type).inNamespace(namespace).withName(name).get();
    }

    private static int replicas(String namespace, String name) {
        Deployment d = get(Deployment.class, namespace, name);
        return d == null ? -1 : d.getSpec().getReplicas();
    }

    private static void patch(String namespace, String name, String mergePatch) {
        client.resources(ProxiedApp.class).inNamespace(namespace).withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), mergePatch);
    }

    private static String configText(String namespace) {
        return get(ConfigMap.class, namespace, "shop-proxy").getData().get(ProxyConfigFile.KEY);
    }

    private static String checksum(String namespace, String name) {
        Deployment d = get(Deployment.class, namespace, name);
        return d == null ? null : d.getSpec().getTemplate().getMetadata().getAnnotations()
                .get(ProxyDeployment.CONFIG_CHECKSUM);
    }

    private static String condition(ProxiedApp app, String type) {
        return app.getStatus() == null ? "" : app.getStatus().conditions().stream()
                .filter(c -> c.getType().equals(type)).map(c -> c.getStatus()).findFirst().orElse("");
    }

    private static String reason(ProxiedApp app, String type) {
        return app.getStatus() == null ? "" : app.getStatus().conditions().stream()
                .filter(c -> c.getType().equals(type)).map(c -> c.getReason()).findFirst().orElse("");
    }

    private static List<Event> events(String namespace, String app, String reason) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> e.getInvolvedObject().getName().equals(app) && reason.equals(e.getReason()))
                .toList();
    }

    /** What the Deployment controller would write once the pods run. */
    static void setDeploymentStatus(String namespace, String name, int replicas, int ready) {
        client.apps().deployments().inNamespace(namespace).withName(name).editStatus(d -> {
            d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
                    .withObservedGeneration(d.getMetadata().getGeneration())
                    .withReplicas(replicas).withUpdatedReplicas(replicas).withReadyReplicas(ready)
                    .withAvailableReplicas(ready).build());
            return d;
        });
    }

    /** What the EndpointSlice controller would write: the Service's labels, and one endpoint per pod. */
    static void createEndpointSlice(String namespace, Service service, boolean... ready) {
        var slice = new EndpointSliceBuilder()
                .withNewMetadata()
                    .withName(service.getMetadata().getName() + "-abcde")
                    .withNamespace(namespace)
                    .addToLabels(service.getMetadata().getLabels())
                    .addToLabels("kubernetes.io/service-name", service.getMetadata().getName())
                    .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8000).withProtocol("TCP").endPort();
        for (int i = 0; i < ready.length; i++) {
            slice.addNewEndpoint()
                    .withAddresses("10.1.0." + (i + 1))
                    .withNewTargetRef().withKind("Pod").withName("shop-pod-" + i).endTargetRef()
                    .withNewConditions().withReady(ready[i]).endConditions()
                    .endEndpoint();
        }
        client.resource(slice.build()).create();
    }
}
