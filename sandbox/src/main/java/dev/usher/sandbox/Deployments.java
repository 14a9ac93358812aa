package dev.usher.sandbox;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stand-in for the Deployment and ReplicaSet controllers: turns each Deployment into Pods directly
 * (the ReplicaSet layer adds nothing the sandbox needs), labelled with {@code pod-template-hash} as
 * Kubernetes does. Rolling updates honour maxSurge and maxUnavailable. Removing a Pod marks it
 * terminating ({@link Pods#TERMINATING}); the node deletes it once its process has ended, as a kubelet would.
 */
final class Deployments {

    private static final Logger LOG = LoggerFactory.getLogger(Deployments.class);
    static final String HASH = "pod-template-hash";

    private final KubernetesClient client;

    Deployments(KubernetesClient client) {
        this.client = client;
    }

    void pass() {
        List<Pod> pods = client.pods().inAnyNamespace().list().getItems();
        for (Deployment d : client.apps().deployments().inAnyNamespace().list().getItems()) {
            reconcile(d, pods.stream().filter(p -> ownedBy(p, d)).toList());
        }
    }

    private void reconcile(Deployment d, List<Pod> owned) {
        int replicas = Objects.requireNonNullElse(d.getSpec().getReplicas(), 1);
        String hash = templateHash(d);
        List<Pod> live = owned.stream().filter(p -> !Pods.terminating(p)).toList();
        List<Pod> current = new ArrayList<>(live.stream().filter(p -> hash.equals(p.getMetadata().getLabels().get(HASH))).toList());
        List<Pod> old = new ArrayList<>(live.stream().filter(p -> !current.contains(p)).toList());
        Rollout r = Rollout.of(d, replicas);

        int total = live.size();
        while (current.size() < replicas && total < replicas + r.maxSurge()) {
            current.add(create(d, hash));
            total++;
        }
        // Scaling down is not gated by availability; not-ready and newest Pods go first, as in Kubernetes.
        Comparator<Pod> firstToGo = Comparator.comparing(Pods::ready)
                .thenComparing(p -> p.getMetadata().getCreationTimestamp(), Comparator.reverseOrder());
        current.sort(firstToGo);
        while (current.size() > replicas) {
            terminate(current.remove(0));
        }
        long ready = live.stream().filter(Pods::ready).count();
        old.sort(firstToGo);
        for (Pod p : old) {
            if (!Pods.ready(p)) {
                terminate(p);
            } else if (ready - 1 >= replicas - r.maxUnavailable()) {
                terminate(p);
                ready--;
            }
        }
        writeStatus(d, owned, hash);
    }

    private Pod create(Deployment d, String hash) {
        var template = d.getSpec().getTemplate();
        String name = d.getMetadata().getName() + "-" + hash + "-" + suffix();
        Map<String, String> labels = new HashMap<>(Objects.requireNonNullElse(template.getMetadata().getLabels(), Map.of()));
        labels.put(HASH, hash);
        Pod pod = new PodBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withName(name)
                        .withNamespace(d.getMetadata().getNamespace())
                        .withLabels(labels)
                        .withAnnotations(template.getMetadata().getAnnotations())
                        .withCreationTimestamp(Instant.now().toString())
                        .withOwnerReferences(new OwnerReferenceBuilder()
                                .withApiVersion("apps/v1").withKind("Deployment")
                                .withName(d.getMetadata().getName()).withUid(d.getMetadata().getUid())
                                .withController(true).build())
                        .build())
                .withSpec(template.getSpec())
                .build();
        LOG.info("pod {}/{} created", d.getMetadata().getNamespace(), name);
        return client.resource(pod).create();
    }

    private void terminate(Pod p) {
        LOG.info("pod {}/{} terminating", p.getMetadata().getNamespace(), p.getMetadata().getName());
        Pods.markTerminating(client, p);
    }

    private void writeStatus(Deployment d, List<Pod> owned, String hash) {
        List<Pod> live = owned.stream().filter(p -> !Pods.terminating(p)).toList();
        int ready = (int) live.stream().filter(Pods::ready).count();
        int updated = (int) live.stream().filter(p -> hash.equals(p.getMetadata().getLabels().get(HASH))).count();
        DeploymentStatus status = new DeploymentStatusBuilder()
                .withObservedGeneration(d.getMetadata().getGeneration())
                .withReplicas(live.size())
                .withUpdatedReplicas(updated)
                .withReadyReplicas(ready)
                .withAvailableReplicas(ready)
                .withUnavailableReplicas(Math.max(0, live.size() - ready))
                .build();
        if (!status.equals(d.getStatus())) {
            client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).withName(d.getMetadata().getName())
                    .editStatus(e -> {
                        e.setStatus(status);
                        return e;
                    });
        }
    }

    private static boolean ownedBy(Pod p, Deployment d) {
        return Objects.equals(p.getMetadata().getNamespace(), d.getMetadata().getNamespace())
                && p.getMetadata().getOwnerReferences().stream().anyMatch(o -> o.getUid().equals(d.getMetadata().getUid()));
    }

    private String templateHash(Deployment d) {
        try {
            byte[] json = client.getKubernetesSerialization().asJson(d.getSpec().getTemplate()).getBytes(StandardCharsets.UTF_8);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json)).substring(0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String suffix() {
        String alphabet = "bcdfghjklmnpqrstvwxz2456789";
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            s.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
        }
        return s.toString();
    }

    /** maxSurge and maxUnavailable resolved against replicas, with Kubernetes' defaults and rounding. */
    record Rollout(int maxSurge, int maxUnavailable) {

        static Rollout of(Deployment d, int replicas) {
            var strategy = d.getSpec().getStrategy();
            var rolling = strategy == null ? null : strategy.getRollingUpdate();
            IntOrString surge = rolling == null || rolling.getMaxSurge() == null ? new IntOrString("25%") : rolling.getMaxSurge();
            IntOrString unavailable = rolling == null || rolling.getMaxUnavailable() == null
                    ? new IntOrString("25%") : rolling.getMaxUnavailable();
            int s = resolve(surge, replicas, true);
            int u = resolve(unavailable, replicas, false);
            return new Rollout(s, s == 0 && u == 0 ? 1 : u);
        }

        private static int resolve(IntOrString value, int replicas, boolean roundUp) {
            if (value.getIntVal() != null) {
                return value.getIntVal();
            }
            double percent = Double.parseDouble(value.getStrVal().replace("%", "")) * replicas / 100;
            return (int) (roundUp ? Math.ceil(percent) : Math.floor(percent));
        }
    }
}
