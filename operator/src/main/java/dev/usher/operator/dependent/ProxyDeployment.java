package dev.usher.operator.dependent;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.resource.ProxySpec;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** {@code <name>-proxy}: the Usher proxy pods. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.PROXY_SELECTOR))
public class ProxyDeployment extends OwnedResource<Deployment> {

    /**
     * On the pod template: a new proxy.yaml changes it, and so rolls the pods, which read their config
     * once at start.
     */
    public static final String CONFIG_CHECKSUM = "usher.dev/config-checksum";

    /** The proxy's shutdown delay and drain timeout, and a margin before the kubelet kills it. */
    static final long TERMINATION_GRACE_SECONDS =
            ProxyConfigFile.SHUTDOWN_DELAY.plus(ProxyConfigFile.DRAIN_TIMEOUT).toSeconds() + 5;

    public ProxyDeployment() {
        super(Deployment.class, Component.PROXY);
    }

    /**
     * The proxy's JVM in a container, also the proxy image's default (its Dockerfile sets the same), here so that
     * a custom proxy image gets it too. Sized for the default 256Mi limit: heap at 40% of the limit (the proxy keeps
     * about 20 MiB live even with 5,000 connections), Netty's direct buffers capped at 64 MiB (64 KiB of backlog
     * each for 1,000 slow clients), and the serial collector: a proxy pod has a core or two and a small heap,
     * where Serial's cheap barriers and no background threads beat G1. Measured with -XX:MaxRAM=256m standing in
     * for the limit, under wrk with 50 then 1,000 connections on 2 event loops: 135 MiB RSS at most (173 MiB with
     * the image's previous MaxRAMPercentage=70). The heap starts at that size (InitialRAMPercentage): Serial sizes
     * its young generation from the heap it has, and the default start, 1/64 of the limit, left a 5 MiB eden, a young
     * collection every 2,000 requests; at full size, under wrk -c50 on 1 event loop, 1 young collection a second
     * instead of 10, GC time per request 0.08 µs instead of 0.72 (jstat). Exit on OOM, to be restarted, rather than
     * limp on.
     */
    public static final String JVM_OPTIONS = "-XX:MaxRAMPercentage=40 -XX:InitialRAMPercentage=40"
            + " -XX:MaxDirectMemorySize=64m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError";

    @Override
    public String name(ProxiedApp app) {
        return Names.proxy(app);
    }

    @Override
    protected Deployment build(ProxiedApp app, Inputs inputs) {
        ProxySpec proxy = app.getSpec().proxy();
        var container = new ContainerBuilder()
                .withName("proxy")
                .withImage(proxy.image() != null ? proxy.image() : inputs.config().proxyImage())
                .withArgs("--config", ProxyConfigFile.MOUNT_PATH + "/" + ProxyConfigFile.KEY)
                .addNewPort().withName("http").withContainerPort(ProxyConfigFile.HTTP_PORT).withProtocol("TCP").endPort()
                .addNewPort().withName("admin").withContainerPort(ProxyConfigFile.ADMIN_PORT).withProtocol("TCP").endPort()
                .withNewReadinessProbe()
                    .withNewHttpGet().withPath("/readyz").withPort(new IntOrString("admin")).endHttpGet()
                    .withPeriodSeconds(5)
                    .withFailureThreshold(2)
                .endReadinessProbe()
                .withNewLivenessProbe()
                    .withNewHttpGet().withPath("/healthz").withPort(new IntOrString("admin")).endHttpGet()
                    .withInitialDelaySeconds(10)
                    .withPeriodSeconds(10)
                    .withFailureThreshold(3)
                .endLivenessProbe()
                .withResources(proxy.resources())
                .addNewEnv().withName("JAVA_TOOL_OPTIONS").withValue(JVM_OPTIONS).endEnv()
                .addNewVolumeMount()
                    .withName("config").withMountPath(ProxyConfigFile.MOUNT_PATH).withReadOnly(true)
                .endVolumeMount()
                .withNewSecurityContext()
                    .withRunAsNonRoot(true)
                    .withAllowPrivilegeEscalation(false)
                    .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .build();
        return new DeploymentBuilder()
                .withMetadata(meta(app))
                .withNewSpec()
                    .withReplicas(proxy.replicas())
                    .withNewSelector().withMatchLabels(Labels.selector(app, Component.PROXY)).endSelector()
                    .withNewTemplate()
                        .withNewMetadata()
                            .withLabels(Labels.of(app, Component.PROXY))
                            .addToAnnotations(CONFIG_CHECKSUM, inputs.proxyFile().checksum())
                        .endMetadata()
                        .withNewSpec()
                            .withServiceAccountName(Names.proxy(app))
                            .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
                            .withContainers(container)
                            .addNewVolume()
                                .withName("config")
                                .withNewConfigMap().withName(Names.proxy(app)).endConfigMap()
                            .endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }
}
