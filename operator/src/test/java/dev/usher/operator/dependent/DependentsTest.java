package dev.usher.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.usher.operator.config.OperatorConfig;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each dependent's desired object, built from one ProxiedApp. */
class DependentsTest {

    private static final OperatorConfig CONFIG = TestApps.config(Duration.ofMinutes(10));
    private static final ProxiedApp SHOP = TestApps.stored("prod", "shop", """
            image: ghcr.io/acme/shop:1.4
            replicas: 3
            port: 8000
            env: [{name: MODE, value: prod}]
            resources: {requests: {cpu: 250m}}
            args: [--workers, "4"]
            imagePullPolicy: IfNotPresent
            imagePullSecrets: [{name: ghcr}]
            proxy: {replicas: 2, port: 80, serviceType: LoadBalancer, resources: {limits: {memory: 256Mi}}}
            """);
    private static final Map<String, String> BACKEND_PODS =
            Map.of("usher.dev/app", "shop", "usher.dev/component", "backend");
    private static final Map<String, String> PROXY_PODS = Map.of("usher.dev/app", "shop", "usher.dev/component", "proxy");

    @Test
    void everyObjectIsControlledByItsApp() {
        List<OwnedResource<?>> all = List.of(new BackendDeployment(), new BackendService(), new ProxyServiceAccount(),
                new ProxyRole(), new ProxyRoleBinding(), new ProxyConfigMap(), new ProxyDeployment(), new ProxyService());
        for (OwnedResource<?> dependent : all) {
            HasMetadata object = dependent.build(SHOP, Inputs.of(SHOP, CONFIG));
            assertThat(object.getMetadata().getNamespace()).isEqualTo("prod");
            assertThat(object.getMetadata().getName()).isEqualTo(dependent.name(SHOP));
            assertThat(object.getMetadata().getOwnerReferences()).singleElement().satisfies(ref -> {
                assertThat(ref).extracting(OwnerReference::getApiVersion, OwnerReference::getKind,
                        OwnerReference::getName, OwnerReference::getUid, OwnerReference::getController)
                        .containsExactly("usher.dev/v1alpha1", "ProxiedApp", "shop", "uid-shop", true);
            });
        }
        assertThat(all).extracting(d -> d.describe(SHOP)).containsExactly("Deployment shop", "Service shop-backend",
                "ServiceAccount shop-proxy", "Role shop-proxy", "RoleBinding shop-proxy", "ConfigMap shop-proxy",
                "Deployment shop-proxy", "Service shop");
    }

    @Test
    void backendDeploymentRunsTheAppImage() {
        Deployment d = new BackendDeployment().build(SHOP, Inputs.of(SHOP, CONFIG));
        assertThat(d.getSpec().getReplicas()).isEqualTo(3);
        assertThat(d.getSpec().getSelector().getMatchLabels()).isEqualTo(BACKEND_PODS);
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(BACKEND_PODS);
        var pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getImagePullSecrets()).extracting("name").containsExactly("ghcr");
        Container app = pod.getContainers().get(0);
        assertThat(app.getImage()).isEqualTo("ghcr.io/acme/shop:1.4");
        assertThat(app.getImagePullPolicy()).isEqualTo("IfNotPresent");
        assertThat(app.getArgs()).containsExactly("--workers", "4");
        assertThat(app.getCommand()).isEmpty();
        assertThat(app.getEnv()).containsExactly(new EnvVar("MODE", "prod", null));
        assertThat(app.getResources().getRequests()).containsEntry("cpu", new Quantity("250m"));
        assertThat(app.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getContainerPort()).isEqualTo(8000);
        });
        assertThat(app.getReadinessProbe().getTcpSocket().getPort()).isEqualTo(new IntOrString("http"));
        assertThat(app.getLifecycle().getPreStop().getSleep().getSeconds()).isEqualTo(5L);
    }

    @Test
    void aGivenReadinessProbeReplacesTheTcpCheck() {
        var app = TestApps.stored("prod", "shop", "image: a\nreadinessProbe: {httpGet: {path: /health, port: 8000}}");
        var probe = new BackendDeployment().build(app, Inputs.of(app, CONFIG)).getSpec().getTemplate().getSpec().getContainers().get(0)
                .getReadinessProbe();
        assertThat(probe.getTcpSocket()).isNull();
        assertThat(probe.getHttpGet().getPath()).isEqualTo("/health");
    }

    @Test
    void backendServiceIsHeadlessWithANamedPort() {
        Service s = new BackendService().build(SHOP, Inputs.of(SHOP, CONFIG));
        assertThat(s.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(s.getSpec().getSelector()).isEqualTo(BACKEND_PODS);
        assertThat(s.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getPort()).isEqualTo(8000);
            assertThat(p.getTargetPort()).isEqualTo(new IntOrString("http"));
        });
    }

    @Test
    void proxyMayOnlyReadEndpointSlices() {
        var role = new ProxyRole().build(SHOP, Inputs.of(SHOP, CONFIG));
        assertThat(role.getRules()).singleElement().satisfies(r -> {
            assertThat(r).extracting(PolicyRule::getApiGroups, PolicyRule::getResources, PolicyRule::getVerbs)
                    .containsExactly(List.of("discovery.k8s.io"), List.of("endpointslices"),
                            List.of("get", "list", "watch"));
            assertThat(r.getResourceNames()).isEmpty();
        });
        var binding = new ProxyRoleBinding().build(SHOP, Inputs.of(SHOP, CONFIG));
        assertThat(binding.getRoleRef()).extracting(RoleRef::getKind, RoleRef::getName).containsExactly("Role", "shop-proxy");
        assertThat(binding.getSubjects()).singleElement()
                .extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
                .containsExactly("ServiceAccount", "shop-proxy", "prod");
        assertThat(new ProxyServiceAccount().build(SHOP, Inputs.of(SHOP, CONFIG)).getMetadata().getName()).isEqualTo("shop-proxy");
    }

    @Test
    void configMapHoldsTheRenderedProxyConfig() {
        var cm = new ProxyConfigMap().build(SHOP, Inputs.of(SHOP, CONFIG));
        assertThat(cm.getData()).containsOnlyKeys("proxy.yaml");
        assertThat(cm.getData().get("proxy.yaml")).isEqualTo(ProxyConfigFile.of(SHOP).text());
    }

    @Test
    void proxyDeploymentRunsTheProxyOnItsConfig() {
        Deployment d = new ProxyDeployment().build(SHOP, Inputs.of(SHOP, CONFIG));
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        assertThat(d.getSpec().getSelector().getMatchLabels()).isEqualTo(PROXY_PODS);
        var template = d.getSpec().getTemplate();
        assertThat(template.getMetadata().getAnnotations())
                .containsEntry(ProxyDeployment.CONFIG_CHECKSUM, Checksums.sha256(ProxyConfigFile.of(SHOP).text()));
        var pod = template.getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("shop-proxy");
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(40L);
        assertThat(pod.getVolumes()).singleElement().satisfies(v -> assertThat(v.getConfigMap().getName())
                .isEqualTo("shop-proxy"));
        Container proxy = pod.getContainers().get(0);
        assertThat(proxy.getImage()).isEqualTo(TestApps.PROXY_IMAGE);
        assertThat(proxy.getArgs()).containsExactly("--config", "/etc/usher/proxy.yaml");
        assertThat(proxy.getPorts()).extracting("name", "containerPort").containsExactly(
                org.assertj.core.groups.Tuple.tuple("http", 8080), org.assertj.core.groups.Tuple.tuple("admin", 9901));
        assertThat(proxy.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(proxy.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(proxy.getReadinessProbe().getHttpGet().getPort()).isEqualTo(new IntOrString("admin"));
        assertThat(proxy.getVolumeMounts()).singleElement().satisfies(m -> assertThat(m.getMountPath())
                .isEqualTo("/etc/usher"));
        assertThat(proxy.getResources().getLimits()).containsEntry("memory", new Quantity("256Mi"));
    }

    @Test
    void proxyPodsRunTheJvmAsTheProxyImageDoes() throws Exception {
        Container proxy = new ProxyDeployment().build(SHOP, Inputs.of(SHOP, CONFIG)).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(proxy.getEnv()).containsExactly(new EnvVar("JAVA_TOOL_OPTIONS", ProxyDeployment.JVM_OPTIONS, null));
        assertThat(Files.readString(Path.of("..", "proxy-image", "Dockerfile")))
                .as("the image's default, so that both run the proxy the same way")
                .contains("ENV JAVA_TOOL_OPTIONS=\"" + ProxyDeployment.JVM_OPTIONS + "\"");
    }

    @Test
    void proxyImageOfTheAppWinsOverTheOperatorDefault() {
        var app = TestApps.stored("prod", "shop", "image: a\nproxy: {image: my/proxy:2}");
        assertThat(new ProxyDeployment().build(app, Inputs.of(app, CONFIG)).getSpec().getTemplate().getSpec().getContainers().get(0)
                .getImage()).isEqualTo("my/proxy:2");
    }

    @Test
    void aConfigChangeChangesTheChecksum() {
        var other = TestApps.stored("prod", "shop", "image: a\nproxy: {timeouts: {response: 90s}}");
        var plain = TestApps.stored("prod", "shop", "image: a");
        assertThat(checksum(other)).isNotEqualTo(checksum(plain));
        assertThat(checksum(plain)).isEqualTo(checksum(TestApps.stored("prod", "shop", "image: b\nreplicas: 7")));
    }

    @Test
    void proxyServiceIsWhatClientsCall() {
        Service s = new ProxyService().build(SHOP, Inputs.of(SHOP, CONFIG));
        assertThat(s.getMetadata().getName()).isEqualTo("shop");
        assertThat(s.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(s.getSpec().getSelector()).isEqualTo(PROXY_PODS);
        assertThat(s.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getPort()).isEqualTo(80);
            assertThat(p.getTargetPort()).isEqualTo(new IntOrString("http"));
        });
    }

    private static String checksum(ProxiedApp app) {
        return new ProxyDeployment().build(app, Inputs.of(app, CONFIG)).getSpec().getTemplate().getMetadata().getAnnotations()
                .get(ProxyDeployment.CONFIG_CHECKSUM);
    }
}
