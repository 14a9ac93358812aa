package dev.usher.sandbox.node;

import com.sun.management.OperatingSystemMXBean;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * The node as the kubelet registers it: a Node with this machine's capacity and a Ready condition,
 * kept alive by renewing its Lease in kube-node-lease (the node lifecycle controller's heartbeat).
 */
final class NodeLease {

    static final String LEASE_NAMESPACE = "kube-node-lease";
    private static final int LEASE_SECONDS = 40;
    private static final DateTimeFormatter MICRO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final KubernetesClient client;
    private final String name;
    private final String hostIp;
    private final int kubeletPort;

    NodeLease(KubernetesClient client, String name, String hostIp, int kubeletPort) {
        this.client = client;
        this.name = name;
        this.hostIp = hostIp;
        this.kubeletPort = kubeletPort;
    }

    void register(String kubeletVersion) {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
                .addToLabels("kubernetes.io/hostname", name).addToLabels("kubernetes.io/os", "linux")
                .addToLabels("kubernetes.io/arch", arch()).addToLabels("node.kubernetes.io/sandbox", "true")
                .endMetadata().build()).create();
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        long memory = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        Map<String, Quantity> capacity = Map.of(
                "cpu", new Quantity(Integer.toString(Runtime.getRuntime().availableProcessors())),
                "memory", new Quantity(Long.toString(memory / 1024) + "Ki"),
                "pods", new Quantity("110"),
                "ephemeral-storage", new Quantity("10Gi"));
        var status = new NodeStatusBuilder()
                .withCapacity(capacity).withAllocatable(capacity)
                .withConditions(condition("Ready", "True", "KubeletReady", "the sandbox's node agent is ready", now),
                        condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "", now),
                        condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "", now),
                        condition("PIDPressure", "False", "KubeletHasSufficientPID", "", now))
                .addNewAddress().withType("InternalIP").withAddress(hostIp).endAddress()
                // No Hostname address: the API server would try it first for kubectl logs, and the
                // name resolves nowhere; InternalIP is the host side's kubelet port on 127.0.0.1.
                .withNewDaemonEndpoints().withNewKubeletEndpoint().withPort(kubeletPort).endKubeletEndpoint().endDaemonEndpoints()
                .withNewNodeInfo().withKubeletVersion(kubeletVersion).withKubeProxyVersion(kubeletVersion)
                    .withOperatingSystem("linux").withArchitecture(arch())
                    .withContainerRuntimeVersion("usher-sandbox://processes")
                    .withOsImage(System.getProperty("os.name")).withKernelVersion(System.getProperty("os.version"))
                    .withMachineID("").withSystemUUID("").withBootID("")
                .endNodeInfo()
                .build();
        client.nodes().withName(name).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                client.getKubernetesSerialization().asJson(Map.of("status", status)));
        renew();
    }

    /** Renews the node's Lease, creating it the first time. */
    void renew() {
        ZonedDateTime now = Instant.now().atZone(ZoneOffset.UTC);
        Lease lease = client.leases().inNamespace(LEASE_NAMESPACE).withName(name).get();
        if (lease == null) {
            var node = client.nodes().withName(name).get();
            client.leases().inNamespace(LEASE_NAMESPACE).resource(new LeaseBuilder()
                    .withNewMetadata().withName(name).withNamespace(LEASE_NAMESPACE)
                        .addNewOwnerReference().withApiVersion("v1").withKind("Node").withName(name)
                            .withUid(node.getMetadata().getUid()).endOwnerReference()
                    .endMetadata()
                    .withNewSpec().withHolderIdentity(name).withLeaseDurationSeconds(LEASE_SECONDS).withRenewTime(now).endSpec()
                    .build()).create();
            return;
        }
        client.leases().inNamespace(LEASE_NAMESPACE).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"renewTime\":\"" + MICRO.format(now) + "\"}}");
    }

    private static NodeCondition condition(String type, String status, String reason, String message, String now) {
        return new NodeConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withLastHeartbeatTime(now).withLastTransitionTime(now).build();
    }

    private static String arch() {
        return List.of("x86_64", "amd64").contains(System.getProperty("os.arch")) ? "amd64" : "arm64";
    }
}
