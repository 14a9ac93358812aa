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
import dev.usher.operator.deploy.RecordingApiServer.Call;
import dev.usher.operator.dependent.OwnedResource;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.testing.TestApps;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chart's RBAC against what the operator really asks of an API server. The real operator runs
 * against a mock API server through a client that records every request, through a scenario that
 * takes each code path that talks to the API: create every owned object, put back each one changed
 * by hand, find every name taken by someone else's object, report status and Events, hold and renew
 * the Lease. The owned kinds come from the reconciler's workflow, so a new dependent is covered
 * without changing this test. To what was requested, RBAC adds two requirements: a Role may only
 * grant what its creator holds (escalation check), and an owner reference with blockOwnerDeletion
 * needs update on the owner's finalizers (OwnerReferencesPermissionEnforcement). Then every request
 * must be allowed by the rules the chart renders for the operator's ServiceAccount, and every rule
 * must be needed by a request.
 */
class ChartRbacTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    /** Where the scenario runs, in full in each, so that each namespace's Role is checked on its own. */
    private static final List<String> APP_NAMESPACES = List.of("a", "b");

    /** Granted to every authenticated user by the default ClusterRole system:basic-user. */
    private static final Request RULES_REVIEW =
            new Request("create", "authorization.k8s.io", "selfsubjectrulesreviews", null, null);

    /**
     * Before it starts, JOSDK's leader election asks the API server (that SelfSubjectRulesReview) whether
     * it may get, create and update the Lease, and stops if not (LeaderElectionManager.checkLeaseAccess),
     * although fabric8 renews the Lease with a patch.
     */
    private static final List<String> LEASE_VERBS_CHECKED = List.of("get", "create", "update");

    @ParameterizedTest(name = "watchNamespaces={0}, serverSideApply={1}")
    @CsvSource(delimiter = '|', value = {"'' | false", "a,b | true"})
    void chartGrantsExactlyWhatTheOperatorUses(String watchNamespaces, boolean serverSideApply) {
        List<String> sets = new ArrayList<>(List.of("serverSideApply=" + serverSideApply));
        if (!watchNamespaces.isEmpty()) {
            sets.add("watchNamespaces={" + watchNamespaces + "}");
        }
        List<HasMetadata> rendered = Manifests.parse(Helm.template(sets.toArray(String[]::new)));
        // Configured by the chart's Deployment, with the probes on a free port.
        OperatorConfig config = ChartTest.operatorConfig(rendered, "--http", "127.0.0.1:0");
        List<Call> calls = record(config);
        Rbac rbac = new Rbac(rendered, Helm.NAMESPACE, Helm.RELEASE);

        Set<Request> needed = new LinkedHashSet<>();
        for (Call call : calls) {
            toRequest(call).filter(r -> !r.equals(RULES_REVIEW)).ifPresent(needed::add);
            needed.addAll(impliedBy(call));
        }
        for (String verb : LEASE_VERBS_CHECKED) {
            needed.add(new Request(verb, "coordination.k8s.io", "leases", config.leaseNamespace().orElseThrow(),
                    verb.equals("create") ? null : OperatorConfig.LEASE_NAME));
        }

        List<Request> denied = needed.stream().filter(r -> !rbac.allows(r)).toList();
        assertThat(denied).as("what the operator requested, or RBAC requires of it, that the chart denies").isEmpty();

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

    /** The scenario: every request the operator makes, through to a renewal of its Lease. */
    private static List<Call> record(OperatorConfig config) {
        try (RecordingApiServer api = new RecordingApiServer();
             KubernetesClient operatorClient = api.recordedClient()) {
            NamespacedKubernetesClient client = api.client();
            UsherOperator operator = new UsherOperator(config, operatorClient, () -> { });
            try {
                operator.start();
                List<OwnedResource<?>> owned = ownedResources();

                for (String namespace : APP_NAMESPACES) {
                    // Every owned object is created, and put back after someone changes it.
                    ProxiedApp app = client.resource(TestApps.app(namespace, "hello", "image: hello:1")).create();
                    for (OwnedResource<?> dependent : owned) {
                        HasMetadata object = await().atMost(PATIENCE).until(() -> get(client, dependent, app),
                                o -> o != null);
                        client.resource(object).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":"
                                + "{\"annotations\":{\"" + OwnedResource.SPEC_HASH + "\":\"changed by hand\"}}}");
                    }
                    for (OwnedResource<?> dependent : owned) {
                        await().atMost(PATIENCE).until(() -> get(client, dependent, app).getMetadata()
                                .getAnnotations().get(OwnedResource.SPEC_HASH), hash -> !"changed by hand".equals(hash));
                    }

                    // Every name taken: each create fails, and the operator looks at who holds the name.
                    ProxiedApp blocked = TestApps.app(namespace, "taken", "image: hello:1");
                    for (OwnedResource<?> dependent : owned) {
                        client.resource(foreign(dependent, blocked)).create();
                    }
                    client.resource(blocked).create();
                    String prefix = "/namespaces/" + namespace + "/";
                    await().atMost(PATIENCE).until(() -> calls(api, "GET", prefix).stream()
                            .filter(c -> c.uri().getPath().contains("/taken")).count() >= owned.size());
                    await().atMost(PATIENCE).until(() -> !calls(api, "POST", prefix + "events").isEmpty());
                    await().atMost(PATIENCE).until(() -> !calls(api, "PATCH", prefix + "proxiedapps/taken/status")
                            .isEmpty());
                }

                // The Lease is renewed.
                await().atMost(PATIENCE).until(() -> !calls(api, "PATCH", "/leases/").isEmpty());
            } finally {
                operator.close();
            }
            return api.calls();
        }
    }

    private static List<Call> calls(RecordingApiServer api, String method, String pathPart) {
        return api.calls().stream().filter(c -> c.method().equals(method) && c.uri().getPath().contains(pathPart))
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

    private static HasMetadata get(NamespacedKubernetesClient client, OwnedResource<?> dependent, ProxiedApp app) {
        return client.resources(dependent.resourceType()).inNamespace(app.getMetadata().getNamespace())
                .withName(dependent.name(app)).get();
    }

    /** An empty object of the dependent's kind, under the name the dependent would use for app. */
    private static HasMetadata foreign(OwnedResource<?> dependent, ProxiedApp app) {
        try {
            HasMetadata object = dependent.resourceType().getConstructor().newInstance();
            object.setMetadata(new ObjectMetaBuilder().withName(dependent.name(app))
                    .withNamespace(app.getMetadata().getNamespace()).addToLabels("owner", "someone-else").build());
            return object;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
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
