package dev.usher.operator.dependent;

import dev.usher.operator.dependent.Labels.Component;
import dev.usher.operator.resource.ProxiedApp;
import dev.usher.operator.resource.ProxiedAppSpec;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The app server pods, {@code <name>}: the only writer of their replica count is the ProxiedApp. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.BACKEND_SELECTOR))
public class BackendDeployment extends OwnedResource<Deployment> {

    /**
     * A terminating pod stays up this long before it gets SIGTERM, so that the proxies have seen its
     * endpoint turn terminating and stopped sending to it.
     */
    static final long PRE_STOP_SECONDS = 5;

    public BackendDeployment() {
        super(Deployment.class, Component.BACKEND);
    }

    @Override
    public String name(ProxiedApp app) {
        return Names.backend(app);
    }

    @Override
    protected Deployment build(ProxiedApp app, Inputs inputs) {
        ProxiedAppSpec spec = app.getSpec();
        var container = new ContainerBuilder()
                .withName("app")
                .withImage(spec.image())
                .withImagePullPolicy(spec.imagePullPolicy() == null ? null : spec.imagePullPolicy().name())
                .withCommand(spec.command())
                .withArgs(spec.args())
                .withEnv(spec.env())
                .addNewPort()
                    .withName(ProxyConfigFile.BACKEND_PORT_NAME)
                    .withContainerPort(spec.port())
                    .withProtocol("TCP")
                .endPort()
                .withReadinessProbe(spec.readinessProbe() != null ? spec.readinessProbe() : defaultProbe())
                .withResources(spec.resources())
                .withNewLifecycle()
                    .withNewPreStop().withNewSleep(PRE_STOP_SECONDS).endPreStop()
                .endLifecycle()
                .build();
        return new DeploymentBuilder()
                .withMetadata(meta(app))
                .withNewSpec()
                    .withReplicas(spec.replicas())
                    .withNewSelector().withMatchLabels(Labels.selector(app, Component.BACKEND)).endSelector()
                    .withNewTemplate()
                        .withNewMetadata().withLabels(Labels.of(app, Component.BACKEND)).endMetadata()
                        .withNewSpec()
                            .withContainers(container)
                            .withImagePullSecrets(spec.imagePullSecrets())
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    /** A TCP connect works for http and uwsgi alike, and for any app whatever its URLs answer. */
    private static Probe defaultProbe() {
        return new ProbeBuilder()
                .withNewTcpSocket().withPort(new IntOrString(ProxyConfigFile.BACKEND_PORT_NAME)).endTcpSocket()
                .withPeriodSeconds(5)
                .withFailureThreshold(3)
                .build();
    }
}
