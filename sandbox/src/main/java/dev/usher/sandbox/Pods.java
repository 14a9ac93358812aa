package dev.usher.sandbox;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;

/** What the stand-ins read from a Pod's status. */
final class Pods {

    /**
     * Set by the Deployment stand-in instead of a delete, which would remove the Pod at once: the mock
     * API server has no graceful deletion, and keeps no deletionTimestamp that a client writes.
     */
    static final String TERMINATING = "sandbox.usher.dev/terminating-since";

    static boolean terminating(Pod pod) {
        return pod.getMetadata().getAnnotations() != null && pod.getMetadata().getAnnotations().containsKey(TERMINATING);
    }

    /** What a delete does on a real API server: the Pod stays, terminating, until its node is done with it. */
    static void markTerminating(KubernetesClient client, Pod pod) {
        client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                .edit(e -> new PodBuilder(e).editMetadata().addToAnnotations(TERMINATING, Instant.now().toString()).endMetadata().build());
    }

    static boolean ready(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return false;
        }
        return pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    static String ip(Pod pod) {
        return pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    }

    static PodCondition condition(String type, boolean status) {
        return new PodConditionBuilder().withType(type).withStatus(status ? "True" : "False").build();
    }

    private Pods() {
    }
}
