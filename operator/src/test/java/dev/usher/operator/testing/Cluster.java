package dev.usher.operator.testing;

import static org.awaitility.Awaitility.await;

import dev.usher.kube.ControlPlane;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real control plane (kube-local) as the operator's tests use it: with the generated CRD, a
 * namespace per test, and pods reported as a kubelet would report them, since there is none.
 * Without a kubelet there is no Node either, and the EndpointSlice controller leaves out a pod whose
 * Node it cannot find: it lists no endpoint ("endpoints: null"), so a test that needs ready endpoints
 * writes a slice of its own beside the controller's ({@link #publishEndpoints}).
 */
public final class Cluster {

    public static final Path GENERATED_CRD = Path.of("target/classes/META-INF/fabric8/proxiedapps.usher.dev-v1.yml");

    /** Pod addresses: never loopback, which the API refuses in EndpointSlices, and never sent traffic to. */
    private static final AtomicInteger NEXT_POD_IP = new AtomicInteger();

    private Cluster() {
    }

    /** The generated CRD, applied (so a second call changes nothing) and established. */
    public static synchronized void installCrd(ControlPlane plane) {
        KubernetesClient admin = plane.admin();
        try (InputStream in = Files.newInputStream(GENERATED_CRD)) {
            CustomResourceDefinition crd = admin.getKubernetesSerialization().unmarshal(in,
                    CustomResourceDefinition.class);
            admin.resource(crd).forceConflicts().serverSideApply();
            await("CRD established").atMost(Duration.ofSeconds(30)).until(() -> admin
                    .resources(CustomResourceDefinition.class).withName(crd.getMetadata().getName()).get()
                    .getStatus().getConditions().stream()
                    .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True")));
        } catch (IOException e) {
            throw new UncheckedIOException("run `mvn process-classes` first: " + GENERATED_CRD, e);
        }
    }

    /** Creates each namespace that does not exist yet. */
    public static void namespaces(KubernetesClient admin, String... names) {
        for (String name : names) {
            Namespace namespace = new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build();
            if (admin.resource(namespace).get() == null) {
                admin.resource(namespace).create();
            }
        }
    }

    /**
     * Reports each current pod of the Deployment as running with an address in 10.244.0.0/16, ready
     * or not, as a kubelet would once its containers run: the ReplicaSet and Deployment controllers
     * then count it. Returns the pods.
     */
    public static List<Pod> runPods(KubernetesClient admin, String namespace, String deployment, boolean ready) {
        Deployment d = admin.apps().deployments().inNamespace(namespace).withName(deployment).get();
        List<Pod> pods = admin.pods().inNamespace(namespace)
                .withLabels(d.getSpec().getSelector().getMatchLabels()).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .toList();
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        List<Pod> running = new ArrayList<>();
        for (Pod pod : pods) {
            running.add(reportRunning(admin, namespace, pod.getMetadata().getName(), ready, now));
        }
        return running;
    }

    /** One pod's status, retried when the scheduler, which also writes it, got there in between. */
    private static Pod reportRunning(KubernetesClient admin, String namespace, String name, boolean ready, String now) {
        for (int attempt = 1; ; attempt++) {
            try {
                return admin.pods().inNamespace(namespace).withName(name).editStatus(p -> {
                    if (p.getStatus().getPodIP() == null) {
                        int n = NEXT_POD_IP.incrementAndGet();
                        String ip = "10.244." + (n / 250) + "." + (n % 250 + 1);
                        p.getStatus().setPodIP(ip);
                        p.getStatus().setPodIPs(List.of(new PodIP(ip)));
                    }
                    p.getStatus().setPhase("Running");
                    p.getStatus().setStartTime(now);
                    String status = ready ? "True" : "False";
                    p.getStatus().getConditions().removeIf(c -> c.getType().equals("Ready")
                            || c.getType().equals("ContainersReady"));
                    p.getStatus().getConditions().add(new PodConditionBuilder().withType("Ready").withStatus(status)
                            .withLastTransitionTime(now).build());
                    p.getStatus().getConditions().add(new PodConditionBuilder().withType("ContainersReady")
                            .withStatus(status).withLastTransitionTime(now).build());
                    return p;
                });
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /**
     * An EndpointSlice of the Service listing the pods as ready endpoints, as the EndpointSlice
     * controller would with a Node for them; replaced on each call. Returns the slice's name.
     */
    public static String publishEndpoints(KubernetesClient admin, String namespace, String service, List<Pod> pods) {
        Service s = admin.services().inNamespace(namespace).withName(service).get();
        var slice = new EndpointSliceBuilder()
                .withNewMetadata()
                    .withName(service + "-tests")
                    .withNamespace(namespace)
                    .addToLabels(s.getMetadata().getLabels())
                    .addToLabels("kubernetes.io/service-name", service)
                    .addToLabels("endpointslice.kubernetes.io/managed-by", "usher-tests")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName(s.getSpec().getPorts().get(0).getName())
                    .withPort(s.getSpec().getPorts().get(0).getPort()).withProtocol("TCP").endPort();
        for (Pod pod : pods) {
            slice.addNewEndpoint()
                    .withAddresses(pod.getStatus().getPodIP())
                    .withNewTargetRef().withKind("Pod").withName(pod.getMetadata().getName())
                        .withNamespace(namespace).withUid(pod.getMetadata().getUid()).endTargetRef()
                    .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
                    .endEndpoint();
        }
        admin.resource(slice.build()).forceConflicts().serverSideApply();
        return service + "-tests";
    }
}
