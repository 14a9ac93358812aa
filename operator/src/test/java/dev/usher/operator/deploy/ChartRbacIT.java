package dev.usher.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.usher.operator.ProxiedAppReconciler;
import dev.usher.operator.UsherOperator;
import dev.usher.operator.config.OperatorConfig;
import dev.usher.operator.deploy.Rbac.Grant;
import dev.usher.operator.deploy.Rbac.Request;
import dev.usher.operator.dependent.OwnedResource;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.Cluster;
import dev.usher.operator.testing.RequestLog;
import dev.usher.operator.testing.RequestLog.Call;
import dev.usher.operator.testing.TestApps;
import dev.usher.kube.ControlPlane;
import dev.usher.kube.junit.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chart's RBAC on a real API server, decided by its real authorizer. The chart's ServiceAccount,
 * Roles and bindings are applied as rendered, and the real operator runs, configured as the chart's
 * Deployment configures it, with that ServiceAccount's token, through a scenario that takes each code
 * path that talks to the API: create every owned object, put back each one changed by hand, find every
 * name taken by someone else's object, report status and Events, scale an autoscaled app, hold and
 * renew the Lease. The owned kinds come from the reconciler's workflow, so a new dependent is covered
 * without changing this test. The API server also runs OwnerReferencesPermissionEnforcement, so an
 * owner reference with blockOwnerDeletion needs update on the owner's finalizers, and RBAC's escalation
 * check, so the proxy's Role may only grant what the operator holds. Any Forbidden fails the test. Then, from the
 * recorded requests, every rule the chart grants must be needed by one.
 */
@ExtendWith(ControlPlaneExtension.class)
class ChartRbacIT {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    /** Granted to every authenticated user by the default ClusterRole system:basic-user. */
    private static final Request RULES_REVIEW =
            new Request("create", "authorization.k8s.io", "selfsubjectrulesreviews", null, null);

    /**
     * Before it starts, JOSDK's leader election asks the API server (that SelfSubjectRulesReview) whether
     * it may get, create and update the Lease, and stops if not (LeaderElectionManager.checkLeaseAccess),
     * although fabric8 renews the Lease with a patch.
     */
    private static final List<String> LEASE_VERBS_CHECKED = List.of("get", "create", "update");

    /** The chart's objects that make up its RBAC: applied to the API server, then deleted. */
    private static final Set<Class<?>> RBAC_KINDS = Set.of(ServiceAccount.class, Role.class, RoleBinding.class,
            ClusterRole.class, ClusterRoleBinding.class);

    /**
     * Both apply modes, each with one form of the RBAC (a ClusterRole, or a Role per watched namespace);
     * the scenario runs in full in each app namespace, so that each namespace's Role is checked alone.
     */
    @ParameterizedTest(name = "watchNamespaces={0}, serverSideApply={1}")
    @CsvSource(delimiter = '|', value = {"'' | true | rbac-all-a,rbac-all-b", "rbac-ns-a,rbac-ns-b | false | rbac-ns-a,rbac-ns-b"})
    void chartGrantsExactlyWhatTheOperatorUses(String watchNamespaces, boolean serverSideApply, String appNamespaces,
                                               ControlPlane plane) {
        List<String> sets = new ArrayList<>(List.of("serverSideApply=" + serverSideApply));
        if (!watchNamespaces.isEmpty()) {
            sets.add("watchNamespaces={" + watchNamespaces + "}");
        }
        List<HasMetadata> rendered = Manifests.parse(Helm.template(sets.toArray(String[]::new)));
        // Configured by the chart's Deployment, with the probes on a free port.
        OperatorConfig config = ChartTest.operatorConfig(rendered, "--http", "127.0.0.1:0");
        assertThat(config.serverSideApply()).isEqualTo(serverSideApply);

        KubernetesClient admin = plane.admin();
        Cluster.installCrd(plane);
        List<String> namespaces = List.of(appNamespaces.split(","));
        Cluster.namespaces(admin, Helm.NAMESPACE);
        Cluster.namespaces(admin, namespaces.toArray(String[]::new));
        List<HasMetadata> rbacObjects = rendered.stream().filter(o -> RBAC_KINDS.contains(o.getClass())).toList();
        rbacObjects.forEach(o -> admin.resource(o).forceConflicts().serverSideApply());
        RequestLog log = new RequestLog();
        try {
            record(plane, log, config, namespaces);
        } finally {
            rbacObjects.forEach(o -> admin.resource(o).delete());
        }
        assertThat(log.forbidden()).as("requests the API server refused the chart's ServiceAccount").isEmpty();

        Rbac rbac = new Rbac(rendered, Helm.NAMESPACE, Helm.RELEASE);
        Set<Request> needed = new LinkedHashSet<>();
        for (Call call : log.calls()) {
            toRequest(call).filter(r -> !r.equals(RULES_REVIEW)).ifPresent(needed::add);
            needed.addAll(impliedBy(call));
        }
        for (String verb : LEASE_VERBS_CHECKED) {
            needed.add(new Request(verb, "coordination.k8s.io", "leases", config.leaseNamespace().orElseThrow(),
                    verb.equals("create") ? null : OperatorConfig.LEASE_NAME));
        }
        List<String> unused = new ArrayList<>();
        for (Grant grant : rbac.grants()) {
            for (String group : grant.rule().getApiGroups()) {
                for (String resource : grant.rule().getResources()) {
                    for (String verb : grant.rule().getVerbs()) {
                        boolean used = needed.stream().anyMatch(r -> r.verb().equals(verb) && r.group().equals(group)
                                && r.resource().equals(resource) && grant.allows(r));
                        if (!used) {
                            unused.add(verb + " " + group + "/" + resource + " from " + grant.source());
                        }
                    }
                }
            }
        }
        assertThat(unused).as("what the chart grants and the operator never uses").isEmpty();
    }

    /** The scenario, run by the operator as the chart's ServiceAccount; every request it makes goes to log. */
    private static void record(ControlPlane plane, RequestLog log, OperatorConfig config, List<String> namespaces) {
        KubernetesClient client = plane.admin();
        try (KubernetesClient operatorClient = log.client(plane.configFor(Helm.NAMESPACE, Helm.RELEASE))) {
            UsherOperator operator = new UsherOperator(config, operatorClient, () -> { });
            try {
                operator.start();
                List<OwnedResource<?>> owned = ownedResources();

                for (String namespace : namespaces) {
                    // Every owned object is created, and put back after someone changes it.
                    ProxiedApp app = client.resource(TestApps.app(namespace, "hello", "image: hello:1")).create();
                    Map<OwnedResource<?>, HasMetadata> made = new LinkedHashMap<>();
                    for (OwnedResource<?> dependent : owned) {
                        HasMetadata object = await().atMost(PATIENCE).until(() -> get(client, dependent, app),
                                o -> o != null);
                        made.put(dependent, object);
                        client.resource(object).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":"
                                + "{\"annotations\":{\"" + OwnedResource.SPEC_HASH + "\":\"changed by hand\"}}}");
                    }
                    for (OwnedResource<?> dependent : owned) {
                        await().atMost(PATIENCE).until(() -> get(client, dependent, app).getMetadata()
                                .getAnnotations().get(OwnedResource.SPEC_HASH), hash -> !"changed by hand".equals(hash));
                    }

                    // Every name taken: the operator finds out and looks at who holds the name. A dependent
                    // that waits for another (the RoleBinding for its Role) is not tried while that one is
                    // blocked, so a second app has only the names of the waiting ones taken.
                    Set<Class<?>> waiting = waitingDependents();
                    ProxiedApp blocked = TestApps.app(namespace, "taken", "image: hello:1");
                    made.forEach((dependent, object) -> client.resource(foreign(client, object,
                            dependent.name(blocked))).create());
                    client.resource(blocked).create();
                    String prefix = "/namespaces/" + namespace + "/";
                    long tried = owned.stream().filter(d -> !waiting.contains(d.getClass())).count();
                    await().atMost(PATIENCE).until(() -> calls(log, "GET", prefix).stream()
                            .filter(c -> c.uri().getPath().contains("/taken")).count() >= tried);
                    await().atMost(PATIENCE).until(() -> !calls(log, "POST", prefix + "events").isEmpty());
                    await().atMost(PATIENCE).until(() -> !calls(log, "PATCH", prefix + "proxiedapps/taken/status")
                            .isEmpty());
                    ProxiedApp late = TestApps.app(namespace, "late", "image: hello:1");
                    made.forEach((dependent, object) -> {
                        if (waiting.contains(dependent.getClass())) {
                            client.resource(foreign(client, object, dependent.name(late))).create();
                        }
                    });
                    client.resource(late).create();
                    await().atMost(PATIENCE).until(() -> calls(log, "GET", prefix).stream()
                            .filter(c -> c.uri().getPath().contains("/late")).count() >= waiting.size());
                    await().atMost(PATIENCE).until(() -> !calls(log, "PATCH", prefix + "proxiedapps/late/status")
                            .isEmpty());

                    // The autoscaler raises an app below its minimum through the scale subresource (there are
                    // no proxies to measure here), with the HorizontalPodAutoscalers watched for conflicts.
                    ProxiedApp autoscaled = client.resource(TestApps.app(namespace, "autoscaled", """
                            image: hello:1
                            replicas: 1
                            concurrency: 2
                            autoscaling: {minReplicas: 2, maxReplicas: 3}
                            """)).create();
                    await().atMost(PATIENCE).until(() -> client.resource(autoscaled).get().getSpec().replicas() == 2);
                }

                // The Lease is renewed.
                await().atMost(PATIENCE).until(() -> !calls(log, "PATCH", "/leases/").isEmpty());
            } finally {
                operator.close();
            }
        }
    }

    private static List<Call> calls(RequestLog log, String method, String pathPart) {
        return log.calls().stream().filter(c -> c.method().equals(method) && c.uri().getPath().contains(pathPart))
                .toList();
    }

    private static List<OwnedResource<?>> ownedResources() {
        return Arrays.stream(ProxiedAppReconciler.class.getAnnotation(Workflow.class).dependents())
                .map(Dependent::type)
                .map(type -> {
                    try {
                        return (OwnedResource<?>) type.getConstructor().newInstance();
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(type + " cannot be made", e);
                    }
                })
                .collect(Collectors.toList());
    }

    /** The dependents that the workflow tries only once those they depend on are in place. */
    private static Set<Class<?>> waitingDependents() {
        return Arrays.stream(ProxiedAppReconciler.class.getAnnotation(Workflow.class).dependents())
                .filter(d -> d.dependsOn().length > 0)
                .map(Dependent::type)
                .collect(Collectors.toSet());
    }

    private static HasMetadata get(KubernetesClient client, OwnedResource<?> dependent, ProxiedApp app) {
        return client.resources(dependent.resourceType()).inNamespace(app.getMetadata().getNamespace())
                .withName(dependent.name(app)).get();
    }

    /**
     * An object of the same kind, made by someone else under the given name: a valid one, as the API
     * server requires, copied from the operator's own without its metadata, status and cluster IP.
     */
    private static HasMetadata foreign(KubernetesClient client, HasMetadata made, String name) {
        GenericKubernetesResource copy = client.getKubernetesSerialization()
                .convertValue(made, GenericKubernetesResource.class);
        copy.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(made.getMetadata().getNamespace())
                .addToLabels("owner", "someone-else").build());
        copy.getAdditionalProperties().remove("status");
        if (copy.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec) {
            spec.remove("clusterIP");
            spec.remove("clusterIPs");
        }
        return copy;
    }

    /**
     * A request as RBAC names it, from its URL: /api/v1/namespaces/a/services/hello is get "" services
     * hello in a. Discovery (/api, /apis/group/version) is open to every authenticated user: none.
     */
    static Optional<Request> toRequest(Call call) {
        List<String> parts = Arrays.asList(call.uri().getPath().substring(1).split("/"));
        int start = parts.get(0).equals("api") ? 2 : 3;
        if (parts.size() <= start) {
            return Optional.empty();
        }
        String group = parts.get(0).equals("api") ? "" : parts.get(1);
        List<String> rest = parts.subList(start, parts.size());
        String namespace = null;
        if (rest.get(0).equals("namespaces") && rest.size() > 2) {
            namespace = rest.get(1);
            rest = rest.subList(2, rest.size());
        }
        String resource = rest.get(0) + (rest.size() > 2 ? "/" + rest.get(2) : "");
        String name = rest.size() > 1 ? rest.get(1) : null;
        boolean watch = Optional.ofNullable(call.uri().getQuery()).orElse("").contains("watch=true");
        String verb = switch (call.method()) {
            case "GET" -> name != null ? "get" : watch ? "watch" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name != null ? "delete" : "deletecollection";
            default -> throw new IllegalArgumentException("unexpected method " + call.method());
        };
        return Optional.of(new Request(verb, group, resource, namespace, name));
    }

    /** What RBAC requires beyond the request itself, from the object written. */
    static List<Request> impliedBy(Call call) {
        if (call.body() == null || !Set.of("POST", "PUT", "PATCH").contains(call.method())) {
            return List.of();
        }
        JsonNode object;
        try {
            object = YAML.readTree(call.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String namespace = object.path("metadata").path("namespace").asText(null);
        List<Request> implied = new ArrayList<>();
        if ("PATCH".equals(call.method()) && call.code() == 201) {
            // A server-side apply that created the object: RBAC checks create as well as patch.
            toRequest(call).ifPresent(r -> implied.add(new Request("create", r.group(), r.resource(), r.namespace(),
                    null)));
        }
        for (JsonNode owner : object.path("metadata").path("ownerReferences")) {
            if (owner.path("blockOwnerDeletion").asBoolean()) {
                String apiVersion = owner.path("apiVersion").asText();
                String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
                assertThat(owner.path("kind").asText()).as("the only owner kind").isEqualTo("ProxiedApp");
                implied.add(new Request("update", group, HasMetadata.getPlural(ProxiedApp.class) + "/finalizers",
                        namespace, null));
            }
        }
        if ("Role".equals(object.path("kind").asText())) {
            for (JsonNode rule : object.path("rules")) {
                for (JsonNode group : rule.path("apiGroups")) {
                    for (JsonNode resource : rule.path("resources")) {
                        for (JsonNode verb : rule.path("verbs")) {
                            implied.add(new Request(verb.asText(), group.asText(), resource.asText(), namespace, null));
                        }
                    }
                }
            }
        }
        return implied;
    }
}
