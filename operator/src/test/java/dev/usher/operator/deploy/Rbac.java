package dev.usher.operator.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Kubernetes RBAC, as the API server's authorizer decides it for one ServiceAccount, over the Roles,
 * ClusterRoles and bindings that a chart renders.
 */
final class Rbac {

    /**
     * One request as the authorizer sees it.
     *
     * @param namespace null for a cluster-wide list or watch
     * @param resource  with its subresource: "proxiedapps/status"
     * @param name      null for create, list and watch
     */
    record Request(String verb, String group, String resource, String namespace, String name) {
        @Override
        public String toString() {
            return verb + " " + (group.isEmpty() ? "" : group + "/") + resource
                    + (name == null ? "" : " " + name) + (namespace == null ? " (all namespaces)" : " in " + namespace);
        }
    }

    /**
     * One rule as granted somewhere.
     *
     * @param namespace where a RoleBinding grants it; null for a ClusterRoleBinding (everywhere)
     */
    record Grant(String namespace, PolicyRule rule, String source) {

        boolean allows(Request request) {
            return (namespace == null || namespace.equals(request.namespace()))
                    && matches(rule.getApiGroups(), request.group())
                    && matches(rule.getResources(), request.resource())
                    && matches(rule.getVerbs(), request.verb())
                    && (rule.getResourceNames().isEmpty() || rule.getResourceNames().contains(request.name()));
        }

        private static boolean matches(List<String> values, String value) {
            return values.contains("*") || values.contains(value);
        }
    }

    private final List<Grant> grants = new ArrayList<>();

    /** The rules that the rendered bindings grant to the ServiceAccount namespace/name. */
    Rbac(List<HasMetadata> rendered, String namespace, String serviceAccount) {
        for (HasMetadata object : rendered) {
            if (object instanceof RoleBinding binding && boundTo(binding.getSubjects(), namespace, serviceAccount)) {
                String where = binding.getMetadata().getNamespace();
                rules(rendered, binding.getRoleRef(), where)
                        .forEach(rule -> grants.add(new Grant(where, rule, "RoleBinding " + where + "/"
                                + binding.getMetadata().getName())));
            } else if (object instanceof ClusterRoleBinding binding
                    && boundTo(binding.getSubjects(), namespace, serviceAccount)) {
                rules(rendered, binding.getRoleRef(), null)
                        .forEach(rule -> grants.add(new Grant(null, rule, "ClusterRoleBinding "
                                + binding.getMetadata().getName())));
            }
        }
    }

    List<Grant> grants() {
        return grants;
    }

    boolean allows(Request request) {
        return grants.stream().anyMatch(g -> g.allows(request));
    }

    private static boolean boundTo(List<Subject> subjects, String namespace, String name) {
        return subjects.stream().anyMatch(s -> "ServiceAccount".equals(s.getKind())
                && name.equals(s.getName()) && namespace.equals(s.getNamespace()));
    }

    /** A RoleBinding may refer to a Role in its namespace or to a ClusterRole; a missing one grants nothing. */
    private static List<PolicyRule> rules(List<HasMetadata> rendered, RoleRef ref, String namespace) {
        for (HasMetadata object : rendered) {
            if (!object.getMetadata().getName().equals(ref.getName())) {
                continue;
            }
            if ("ClusterRole".equals(ref.getKind()) && object instanceof ClusterRole role) {
                return role.getRules();
            }
            if ("Role".equals(ref.getKind()) && object instanceof Role role
                    && Objects.equals(namespace, role.getMetadata().getNamespace())) {
                return role.getRules();
            }
        }
        return List.of();
    }
}
