package dev.usher.sandbox;

import dev.usher.operator.resource.ProxiedApp;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stand-in for Kubernetes' garbage collector, for the kinds the sandbox runs: an object all of whose
 * owners are gone is deleted, so that deleting a ProxiedApp removes what the operator made for it, and
 * deleting a Deployment its Pods. Pods are marked terminating instead, so that the node stops them
 * gracefully first.
 */
final class GarbageCollector {

    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

    private final KubernetesClient client;

    GarbageCollector(KubernetesClient client) {
        this.client = client;
    }

    void pass() {
        // Children before owners: an owner exists before its children, so a child listed here has its
        // live owner in a later list, and a new object is never taken for an orphan.
        List<Pod> pods = client.pods().inAnyNamespace().list().getItems();
        List<HasMetadata> objects = new ArrayList<>();
        objects.addAll(client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems());
        objects.addAll(client.rbac().roleBindings().inAnyNamespace().list().getItems());
        objects.addAll(client.rbac().roles().inAnyNamespace().list().getItems());
        objects.addAll(client.serviceAccounts().inAnyNamespace().list().getItems());
        objects.addAll(client.configMaps().inAnyNamespace().list().getItems());
        objects.addAll(client.services().inAnyNamespace().list().getItems());
        objects.addAll(client.apps().deployments().inAnyNamespace().list().getItems());
        objects.addAll(client.resources(ProxiedApp.class).inAnyNamespace().list().getItems());
        Set<String> alive = new HashSet<>();
        objects.forEach(o -> alive.add(o.getMetadata().getUid()));
        for (HasMetadata o : objects) {
            if (orphan(o, alive)) {
                LOG.info("{} {}/{} deleted: its owner is gone", o.getKind(), o.getMetadata().getNamespace(), o.getMetadata().getName());
                client.resource(o).delete();
            }
        }
        for (Pod p : pods) {
            if (orphan(p, alive) && !Pods.terminating(p)) {
                Pods.markTerminating(client, p);
            }
        }
    }

    private static boolean orphan(HasMetadata o, Set<String> alive) {
        List<OwnerReference> owners = o.getMetadata().getOwnerReferences();
        return owners != null && !owners.isEmpty() && owners.stream().noneMatch(r -> alive.contains(r.getUid()));
    }
}
