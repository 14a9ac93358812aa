package dev.usher.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.usher.operator.config.OperatorConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The chart as helm renders it: valid objects that run the operator as configured, and bad values refused. */
class ChartTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    @Test
    void lintPasses() {
        Helm.Result lint = Helm.run(List.of("lint", "--strict", Helm.CHART.toString()));
        assertThat(lint.exitCode()).as(lint.stdout() + lint.stderr()).isZero();
    }

    @Test
    void defaultsRunTheOperatorClusterWideAtTheChartsVersion() throws IOException {
        List<HasMetadata> objects = Manifests.parse(Helm.template());
        assertThat(objects).extracting(HasMetadata::getKind).containsExactlyInAnyOrder(
                "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment");

        String appVersion = YAML.readTree(Helm.CHART.resolve("Chart.yaml").toFile()).get("appVersion").asText();
        assertThat(appVersion).as("Chart.yaml appVersion is the project's version").isEqualTo(releaseVersion());

        Deployment deployment = only(objects, Deployment.class);
        var pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo(only(objects, ServiceAccount.class).getMetadata().getName());
        Container operator = pod.getContainers().get(0);
        assertThat(operator.getImage()).isEqualTo("usher-operator:" + appVersion);

        OperatorConfig config = operatorConfig(objects);
        assertThat(config.namespaces()).as("all namespaces").isEmpty();
        assertThat(config.proxyImage()).isEqualTo("usher-proxy:" + appVersion);
        assertThat(config.leaderElection()).isTrue();
        assertThat(config.leaseNamespace()).contains(Helm.NAMESPACE);
        assertThat(config.identity()).as("the pod's name, from the downward API").isEqualTo("usher-7d4b9-x2x9z");
        assertThat(config.serverSideApply()).isTrue();

        var securityContext = operator.getSecurityContext();
        assertThat(securityContext.getRunAsNonRoot()).isTrue();
        assertThat(securityContext.getReadOnlyRootFilesystem()).isTrue();
        assertThat(securityContext.getAllowPrivilegeEscalation()).isFalse();
        assertThat(securityContext.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();

        int httpPort = operator.getPorts().stream().filter(p -> p.getName().equals("http")).findFirst().orElseThrow()
                .getContainerPort();
        assertThat(httpPort).as("where the operator serves its probes").isEqualTo(config.http().getPort());
        assertThat(operator.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(operator.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(operator.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(operator.getResources().getLimits()).containsKey("memory");
    }

    @Test
    void watchNamespacesGivesARolePerNamespaceAndNoClusterRole() {
        List<HasMetadata> objects = Manifests.parse(Helm.template("watchNamespaces={shop,blog}", "serverSideApply=true",
                "image.tag=1.2.3", "proxyImage.repository=registry.test/usher-proxy"));
        assertThat(objects).noneMatch(o -> o instanceof ClusterRole);
        assertThat(objects).filteredOn(o -> o instanceof Role).extracting(o -> o.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("shop", "blog", Helm.NAMESPACE);
        assertThat(objects).filteredOn(o -> o instanceof RoleBinding).extracting(o -> o.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("shop", "blog", Helm.NAMESPACE);

        Container operator = only(objects, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(operator.getImage()).isEqualTo("usher-operator:1.2.3");
        OperatorConfig config = operatorConfig(objects);
        assertThat(config.namespaces()).containsExactlyInAnyOrder("shop", "blog");
        assertThat(config.serverSideApply()).isTrue();
        assertThat(config.proxyImage()).isEqualTo("registry.test/usher-proxy:" + releaseVersion());
    }

    @Test
    void optionalObjectsRenderWhenEnabled() {
        List<HasMetadata> objects = Manifests.parse(Helm.template("replicaCount=2", "podDisruptionBudget.enabled=true",
                "metrics.service.enabled=true", "metrics.serviceMonitor.enabled=true",
                "metrics.serviceMonitor.labels.release=prometheus"));
        Deployment deployment = only(objects, Deployment.class);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();

        PodDisruptionBudget budget = only(objects, PodDisruptionBudget.class);
        assertThat(budget.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
        assertThat(podLabels).containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());

        Service metrics = only(objects, Service.class);
        assertThat(podLabels).containsAllEntriesOf(metrics.getSpec().getSelector());
        assertThat(metrics.getSpec().getPorts().get(0).getTargetPort().getStrVal()).isEqualTo("http");

        ServiceMonitor monitor = only(objects, ServiceMonitor.class);
        assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
        assertThat(metrics.getMetadata().getLabels()).containsAllEntriesOf(monitor.getSpec().getSelector().getMatchLabels());
        assertThat(monitor.getSpec().getEndpoints().get(0).getPort()).isEqualTo(metrics.getSpec().getPorts().get(0).getName());
        assertThat(monitor.getSpec().getEndpoints().get(0).getPath()).isEqualTo("/metrics");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "replicas=2                                             | additional properties 'replicas' not allowed",
            "replicaCount=0                                         | at '/replicaCount': minimum",
            "resync=10x                                             | at '/resync': '10x' does not match pattern",
            "watchNamespaces={Shop_1}                               | at '/watchNamespaces/0': 'Shop_1' does not match",
            "image.pullPolicy=Sometimes                             | at '/image/pullPolicy'",
            "serverSideApply=yes                                    | at '/serverSideApply'",
            "resources.limits.memory=lots                           | at '/resources/limits/memory'",
            "logFormat=xml                                          | at '/logFormat'",
            "replicaCount=2,leaderElection.enabled=false            | replicaCount > 1 needs leaderElection.enabled=true",
            "podDisruptionBudget.enabled=true                       | podDisruptionBudget.enabled needs replicaCount >= 2",
            "replicaCount=2,podDisruptionBudget.enabled=true,podDisruptionBudget.minAvailable=2"
                    + " | podDisruptionBudget.minAvailable must be less than replicaCount",
            "metrics.serviceMonitor.enabled=true                    | needs metrics.service.enabled=true"})
    void badValuesAreRejectedWithAMessageNamingThem(String values, String message) {
        Helm.Result result = Helm.templateResult(values.split(","));
        assertThat(result.exitCode()).as("helm template --set %s must fail", values).isNotZero();
        assertThat(result.stderr()).contains(message);
    }

    @Test
    void chartCrdIsTheGeneratedOne() throws IOException {
        Path chartCrd = Helm.CHART.resolve("crds/proxiedapps.usher.dev-v1.yml");
        Path crd = Helm.REPOSITORY.resolve("crds/proxiedapps.usher.dev-v1.yml");
        assertThat(Files.mismatch(chartCrd, crd))
                .as("helm/usher/crds/ must hold the same bytes as crds/: CrdUpToDateTest writes both")
                .isEqualTo(-1L);
    }

    @Test
    void readmeDocumentsEveryValue() throws IOException {
        String readme = Files.readString(Helm.CHART.resolve("README.md"));
        List<String> undocumented = new ArrayList<>();
        collectUndocumented(YAML.readTree(Helm.CHART.resolve("values.yaml").toFile()), "", readme, undocumented);
        assertThat(undocumented).as("values missing from helm/usher/README.md's table").isEmpty();
    }

    /** A value is documented when the README names it, or names the map it belongs to as a whole. */
    private static void collectUndocumented(JsonNode values, String prefix, String readme, List<String> out) {
        values.properties().forEach(entry -> {
            String key = prefix + entry.getKey();
            if (readme.contains("`" + key + "`")) {
                return;
            }
            if (entry.getValue().isObject() && !entry.getValue().isEmpty()) {
                collectUndocumented(entry.getValue(), key + ".", readme, out);
            } else {
                out.add(key);
            }
        });
    }

    /** The settings of the operator that the rendered Deployment runs, as it reads them in its pod. */
    static OperatorConfig operatorConfig(List<HasMetadata> rendered, String... flags) {
        Container operator = only(rendered, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0);
        return OperatorConfig.parse(flags, environment(operator));
    }

    /** The container's environment in a pod: downward API fields filled in, $(NAME) references expanded. */
    private static Map<String, String> environment(Container container) {
        Map<String, String> env = new HashMap<>();
        for (EnvVar var : container.getEnv()) {
            if (var.getValueFrom() != null) {
                String field = var.getValueFrom().getFieldRef().getFieldPath();
                env.put(var.getName(), switch (field) {
                    case "metadata.name" -> "usher-7d4b9-x2x9z";
                    case "metadata.namespace" -> Helm.NAMESPACE;
                    default -> throw new AssertionError("unexpected field " + field);
                });
            } else {
                // As the kubelet does: $(NAME) refers to a variable defined before.
                Matcher m = REFERENCE.matcher(var.getValue());
                env.put(var.getName(), m.replaceAll(r -> Matcher.quoteReplacement(env.getOrDefault(r.group(1), r.group()))));
            }
        }
        return env;
    }

    private static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type) {
        List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as(type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    /** The project's version without -SNAPSHOT: what the chart and images are released as. */
    static String releaseVersion() {
        try {
            Matcher m = Pattern.compile("<artifactId>usher-parent</artifactId>\\s*<version>([^<]+)</version>")
                    .matcher(Files.readString(Helm.REPOSITORY.resolve("pom.xml")));
            assertThat(m.find()).isTrue();
            return m.group(1).replace("-SNAPSHOT", "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
