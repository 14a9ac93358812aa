package dev.usher.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.usher.operator.dependent.Checksums;
import dev.usher.operator.dependent.OwnedResource;
import dev.usher.operator.dependent.ProxyConfigFile;
import dev.usher.operator.dependent.ProxyDeployment;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.kube.ControlPlane;
import dev.usher.kube.junit.ControlPlaneExtension;
import dev.usher.operator.testing.Cluster;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The running operator against a real control plane (kube-local): etcd, kube-apiserver with its
 * validation and server-side apply, and the real controllers (Deployment, ReplicaSet, EndpointSlice,
 * garbage collector). There is no kubelet, so pods never run unless a test reports them running
 * ({@link Cluster#runPods}). Each test works in its own namespace.
 */
@ExtendWith(ControlPlaneExtension.class)
class OperatorIT {

    private static final Duration RESYNC = Duration.ofSeconds(3);
    private static KubernetesClient client;
    private static KubernetesClient operatorClient;
    private static UsherOperator operator;

    @BeforeAll
    static void start(ControlPlane plane) {
        Cluster.installCrd(plane);
        client = plane.admin();
        String[] namespaces = {"create", "scale", "settings", "foreign", "long", "metrics"};
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
        client.apps().deployments().inNamespace("scale").withName("shop").scale(1);
        eventually(() -> replicas("scale", "shop") == 6 ? true : null);
    }

    @Test
    void proxySettingsChangeTheConfigAndRollTheProxy() {
        client.resource(TestApps.app("settings", "shop", """
                image: shop:1
                env: [{name: A, value: "1"}, {name: B, value: "2"}]
                """)).create();
        String before = eventually(() -> checksum("settings", "shop-proxy"));
        assertThat(before).isEqualTo(Checksums.sha256(configText("settings")));

        patch("settings", "shop", "{\"spec\":{\"protocol\":\"uwsgi\",\"proxy\":{\"loadBalancing\":\"round-robin\","
                + "\"timeouts\":{\"response\":\"45s\"}}}}");
        eventually(() -> configText("settings").contains("response: 45s") ? true : null);
        String config = configText("settings");
        assertThat(config).contains("protocol: uwsgi", "loadBalancing: round-robin", "connect: 2s");
        String after = eventually(() -> {
            String c = checksum("settings", "shop-proxy");
            return c.equals(before) ? null : c;
        });
        assertThat(after).isEqualTo(Checksums.sha256(config));

        // A list item removed from the spec is removed from the Deployment too.
        client.resources(ProxiedApp.class).inNamespace("settings").withName("shop")
                .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"remove\",\"path\":\"/spec/env/1\"}]");
        eventually(() -> get(Deployment.class, "settings", "shop").getSpec().getTemplate().getSpec().getContainers()
                .get(0).getEnv().size() == 1 ? true : null);
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
    void aNameTooLongForTheServicesIsRefusedByTheSchema() {
        String name = "a".repeat(ProxiedApp.MAX_NAME_LENGTH + 1);
        assertThatThrownBy(() -> client.resource(TestApps.app("long", name, "image: shop:1")).create())
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
                .hasMessageContaining("55");
        assertThat(client.apps().deployments().inNamespace("long").list().getItems()).isEmpty();
    }

    @Test
    void servesProbesAndMetrics() throws IOException, InterruptedException {
        assertThat(adminGet("/healthz")).extracting(HttpResponse::statusCode, HttpResponse::body)
                .containsExactly(200, "ok\n");
        assertThat(adminGet("/readyz")).extracting(HttpResponse::statusCode, HttpResponse::body)
                .containsExactly(200, "ok\n");
        client.resource(TestApps.app("metrics", "shop", "image: shop:1")).create();
        String metrics = await().atMost(Duration.ofSeconds(30)).until(() -> adminGet("/metrics").body(),
                body -> body.contains("operator_sdk_reconciliations_success_total"));
        assertThat(metrics).contains("jvm_memory_used_bytes");
    }

    private static HttpResponse<String> adminGet(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operator.adminPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
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
}
